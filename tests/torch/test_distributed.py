"""Monitor under torch.distributed: 2 gloo processes on localhost, each with its own data shard.

The global verdict must equal a single-process run over the union of the shards; a unit that fires
only on rank 1's data must not be dead globally (it is dead in rank 0's local report).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available():
    pytest.skip("torch.distributed is not available", allow_module_level=True)

import torch.multiprocessing as mp  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402

from rectifier.torch import Monitor  # noqa: E402

from .models import MLP, SharedReLU, plant_dead_units  # noqa: E402

WORLD_SIZE = 2
PLANTED = [1, 5]  # dead everywhere
ONLY_RANK1 = 2  # positive only on rank 1's shard


def _model() -> MLP:
    torch.manual_seed(0)
    model = MLP()
    plant_dead_units(model.fc1, PLANTED)
    with torch.no_grad():
        # Unit ONLY_RANK1 of relu1 computes relu(x[:, 0]): only rank 1's shard has x[:, 0] > 0.
        model.fc1.weight[ONLY_RANK1] = 0.0
        model.fc1.weight[ONLY_RANK1, 0] = 1.0
        model.fc1.bias[ONLY_RANK1] = 0.0
    return model


def _shard(rank: int) -> list[torch.Tensor]:
    """Rank r gets 2 + r batches (different sizes on purpose); rank 0's x[:, 0] is negative."""
    generator = torch.Generator().manual_seed(100 + rank)
    batches = [torch.randn(16, 8, generator=generator) for _ in range(2 + rank)]
    for x in batches:
        x[:, 0] = x[:, 0].abs() + 0.1 if rank == 1 else -x[:, 0].abs() - 0.1
    return batches


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD_SIZE)
    try:
        ddp = DistributedDataParallel(_model())
        monitor = Monitor(ddp)  # unwraps ddp.module
        with monitor:
            for x in _shard(rank):
                ddp(x)
        result = {
            "unwrapped": monitor.model is ddp.module,
            "local": monitor.report(distributed=False).to_dict(),
            "global": monitor.report().to_dict(),  # auto: all-reduced
            "snapshot": monitor.snapshot("epoch 0"),
        }
        # Ranks that saw different sites must fail loudly, on every rank, not sum wrong counters.
        other = _model() if rank == 0 else SharedReLU()
        with Monitor(other) as mismatched:
            other(torch.randn(4, 8))
        try:
            mismatched.report()
            result["mismatch"] = None
        except RuntimeError as error:
            result["mismatch"] = str(error)
        Path(out_dir, f"rank{rank}.json").write_text(json.dumps(result))
        # Tear down together: a rank that destroys the group (rank 0 hosts the store) while the
        # other is still using it can abort the other under load.
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[dict]:
    out_dir = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(_free_port(), str(out_dir)), nprocs=WORLD_SIZE, join=True)
    return [json.loads(Path(out_dir, f"rank{r}.json").read_text()) for r in range(WORLD_SIZE)]


@pytest.fixture(scope="module")
def reference() -> dict:
    """One process, one monitor, the union of the shards."""
    model = _model()
    with Monitor(model, distributed=False) as monitor:
        for rank in range(WORLD_SIZE):
            for x in _shard(rank):
                model(x)
    return monitor.report().to_dict()


def test_every_rank_gets_the_same_global_report(results):
    assert results[0]["global"] == results[1]["global"]
    assert all(r["unwrapped"] for r in results)


def test_global_report_equals_single_process_over_union(results, reference):
    got = results[0]["global"]
    assert [s["name"] for s in got["sites"]] == [s["name"] for s in reference["sites"]]
    for site, ref in zip(got["sites"], reference["sites"], strict=True):
        for key in ("observations", "positive", "dead_units", "dormant_units", "units"):
            assert site[key] == ref[key], (site["name"], key)
        np.testing.assert_allclose(site["mean_abs"], ref["mean_abs"], rtol=1e-12)
    for key in ("born_dead", "healthy", "dead_fraction", "dormant_fraction"):
        assert got[key] == pytest.approx(reference[key]), key
    assert got["sites"][0]["observations"] == 16 * 5


def test_unit_alive_on_one_rank_only_is_not_dead(results):
    relu1_local_0 = results[0]["local"]["sites"][0]
    relu1_local_1 = results[1]["local"]["sites"][0]
    relu1_global = results[0]["global"]["sites"][0]
    assert relu1_local_0["name"] == "relu1#0"
    assert ONLY_RANK1 in relu1_local_0["dead_units"]
    assert ONLY_RANK1 not in relu1_local_1["dead_units"]
    assert ONLY_RANK1 not in relu1_global["dead_units"]
    assert set(PLANTED) <= set(relu1_global["dead_units"])
    assert relu1_local_0["observations"] == 32 and relu1_local_1["observations"] == 48


def test_snapshot_is_global(results):
    snap = [r["snapshot"] for r in results]
    assert snap[0] == snap[1]
    assert snap[0]["dead_fraction"] == pytest.approx(results[0]["global"]["dead_fraction"])


def test_different_sites_on_ranks_is_a_clear_error_on_every_rank(results):
    for r in results:
        message = r["mismatch"]
        assert message is not None
        assert "ranks saw different rectifier sites" in message
        assert "act#0" in message and "relu1#0" in message
