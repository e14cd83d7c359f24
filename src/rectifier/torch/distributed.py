"""Sum the monitor's per-unit counts over the ranks of a ``torch.distributed`` job.

Each rank counts on its own shard of the data; summing the counts (all-reduce, SUM) gives every
rank the counts over the union of the shards, so every rank reaches the same verdict and a unit is
dead only if it was never positive on any rank's data. Only the monitor calls this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["all_reduce_counts", "is_distributed"]


def is_distributed(group: Any = None) -> bool:
    """True if ``torch.distributed`` is available, initialised, and the group has several ranks."""
    dist = torch.distributed
    return dist.is_available() and dist.is_initialized() and dist.get_world_size(group) > 1


def _mismatch(rank: int, mine: Sequence[tuple], theirs: Sequence[tuple]) -> str:
    names0 = {s[0]: s for s in mine}
    names_r = {s[0]: s for s in theirs}
    missing = [n for n in names0 if n not in names_r]
    extra = [n for n in names_r if n not in names0]
    differ = [
        f"{n} ({names0[n][1]} vs {names_r[n][1]} units)"
        for n in names0
        if n in names_r and names0[n] != names_r[n]
    ]
    parts = []
    if missing:
        parts.append(f"missing on rank {rank}: {', '.join(missing)}")
    if extra:
        parts.append(f"only on rank {rank}: {', '.join(extra)}")
    if differ:
        parts.append(f"differ: {', '.join(differ)}")
    if not parts:
        parts.append("same sites in a different order")
    return "; ".join(parts)


def all_reduce_counts(
    signature: Sequence[tuple[str, int]],
    positive: Sequence[torch.Tensor],
    sum_abs: Sequence[torch.Tensor],
    observations: Sequence[int],
    group: Any = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[int]]:
    """All-reduce (SUM) one rank's counts; every rank must call it (it is a collective).

    ``signature`` lists ``(site name, units)`` in the order of the other arguments. It is first
    gathered from every rank and compared, because summing counters of different sites would give
    silently wrong verdicts: a ``RuntimeError`` (raised on every rank) names the differences.
    Returns new tensors (on the CPU) and ints; the inputs are not changed.
    """
    dist = torch.distributed
    signature = [(str(n), int(u)) for n, u in signature]
    gathered: list[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(gathered, signature, group=group)
    for rank, theirs in enumerate(gathered):
        if theirs != gathered[0]:
            diff = _mismatch(rank, gathered[0], theirs)
            raise RuntimeError(
                "rectifier.torch.Monitor: ranks saw different rectifier sites, so their counts "
                f"cannot be summed (rank 0 vs rank {rank}: {diff}). "
                "Run at least one forward pass of the same model on every rank before report(), "
                "or pass distributed=False for a local report."
            )
    if not signature:
        return [], [], []
    sizes = [u for _, u in signature]
    # gloo reduces CPU tensors; other backends (nccl) reduce on the counters' device.
    device = positive[0].device
    if dist.get_backend(group) == "gloo":
        device = torch.device("cpu")
    pos = torch.cat([p.to(device, torch.int64) for p in positive])
    obs = torch.tensor(list(observations), dtype=torch.int64, device=device)
    sums = torch.cat([s.to(device, torch.float64) for s in sum_abs])
    for tensor in (pos, obs, sums):
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM, group=group)
    pos, sums = pos.cpu(), sums.cpu()
    return (
        list(pos.split(sizes)),
        list(sums.split(sizes)),
        [int(o) for o in obs.cpu().tolist()],
    )
