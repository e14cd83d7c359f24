"""Find dead ReLUs in a DistributedDataParallel training run (CPU, gloo, 2 processes).

Run:  python examples/ddp_monitor.py            (spawns 2 ranks on this machine)
or:   torchrun --nproc-per-node 2 examples/ddp_monitor.py

Each rank trains on its own shard. ``monitor.report()`` and ``monitor.snapshot()`` all-reduce the
per-unit counts, so every rank gets the same, global verdict: a unit is dead only if it never fired
on any rank's data. Both are collectives: call them on every rank.
"""

from __future__ import annotations

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from rectifier.torch import Monitor


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.fc2 = nn.Linear(64, 64)
        self.out = nn.Linear(64, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x))  # functional ReLUs: seen by the monitor, named "relu()#0", ...
        x = F.relu(self.fc2(x))
        return self.out(x)


def train(rank: int, world_size: int) -> None:
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)  # same initial weights on every rank (DDP also broadcasts them)
    model = DistributedDataParallel(Net())
    with torch.no_grad():  # plant 8 dead units, to have something to find
        model.module.fc1.bias[:8] = -100.0
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

    generator = torch.Generator().manual_seed(1000 + rank)  # each rank: its own shard
    data = [
        (torch.randn(32, 20, generator=generator), torch.randint(0, 2, (32,), generator=generator))
        for _ in range(10)
    ]

    monitor = Monitor(model)  # unwraps model.module; counts only its forward passes
    with monitor:
        for epoch in range(3):
            for x, y in data:
                optimizer.zero_grad()
                F.cross_entropy(model(x), y).backward()
                optimizer.step()
            # One sync per epoch: all-reduce the counts, record the fractions, start afresh.
            entry = monitor.snapshot(f"epoch {epoch}", reset=True)
            if rank == 0:
                print(
                    f"epoch {epoch}: dead {entry['dead_fraction']:.1%}, "
                    f"dormant {entry['dormant_fraction']:.1%}"
                )
        # Diagnose one more pass over the shard, without gradients.
        with torch.no_grad():
            for x, _ in data:
                model(x)
    report = monitor.report()  # global: the same on every rank
    if rank == 0:
        for site in report.sites:
            print(f"{site.name:10s} {site.units:3d} units, dead {site.dead_units}")
        print("born dead:", report.born_dead, "healthy:", report.healthy)
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    if "RANK" in os.environ:  # started by torchrun
        train(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]))
    else:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        mp.spawn(train, args=(2,), nprocs=2, join=True)
