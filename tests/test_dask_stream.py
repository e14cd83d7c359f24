"""rectifier.relu on a Dask array bigger than the workers' memory, on a 2-process LocalCluster.

The array (2 GB of float32 in 64 MB chunks) is generated on the workers chunk by chunk, ReLU'd
and reduced there, so it never exists whole anywhere. Each worker samples its own resident
memory every few milliseconds while the graph runs; the test asserts that the peak stays within
a few chunks of where it started, and below the worker's memory limit.
"""

from __future__ import annotations

import math
import sys
import threading
import time

import numpy as np
import pytest

import rectifier

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

CHUNK_BYTES = 64 * 2**20
TOTAL_BYTES = 2 * 2**30
ITEMSIZE = 4  # float32
CHUNK = CHUNK_BYTES // ITEMSIZE
N = TOTAL_BYTES // ITEMSIZE
MEMORY_LIMIT = 1 * 2**30  # per worker: the 2 GB array fits in neither, nor in both together
# A chunk of x, relu's output and two masks in flight, and the next chunk of x generated while
# they are reduced: about 4.5 chunks measured; 6 allowed, against 16 chunks per worker if the
# array were held.
MAX_GROWTH_CHUNKS = 6

# ---- run on the workers (sent by value: this test module is not importable there, so the
# sampler's state lives on the worker object, not in a module global) -------------------------


def _start_sampling(dask_worker, period_s: float = 0.002) -> int:
    """Start a thread in this worker process that records its peak resident memory."""
    proc = psutil.Process()
    state = {"start": proc.memory_info().rss, "peak": 0, "stop": threading.Event()}
    state["peak"] = state["start"]

    def sample() -> None:
        while not state["stop"].is_set():
            state["peak"] = max(state["peak"], proc.memory_info().rss)
            time.sleep(period_s)

    state["thread"] = threading.Thread(target=sample, daemon=True)
    state["thread"].start()
    dask_worker.rectifier_test_rss = state
    return state["start"]


def _stop_sampling(dask_worker) -> dict:
    state = dask_worker.rectifier_test_rss
    state["stop"].set()
    state["thread"].join()
    return {"start": state["start"], "peak": state["peak"]}


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memory sampled via psutil RSS")
def test_relu_streams_a_2gb_array_through_two_workers_in_bounded_memory():
    import cloudpickle
    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=MEMORY_LIMIT,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        # Every worker imports rectifier before sampling starts, so its import is not "growth".
        client.run(lambda: rectifier.relu(np.ones(4, np.float32)))
        x = da.random.default_rng(0).standard_normal(N, chunks=CHUNK, dtype=np.float32)
        y = rectifier.relu(x)  # lazy: __array_ufunc__ maps the ufunc over the chunks
        assert isinstance(y, da.Array) and y.chunksize == (CHUNK,) and y.nbytes == TOTAL_BYTES
        checks = (
            y.sum(dtype=np.float64),
            (y > 0).sum(),
            (y < 0).sum(),
        )
        client.run(_start_sampling)
        total, positive, negative = dask.compute(*checks)
        memory = client.run(_stop_sampling)

    assert negative == 0
    # Half the standard normal values are positive; E[max(Z, 0)] = 1/sqrt(2 pi).
    assert abs(positive / N - 0.5) < 1e-3
    assert abs(total / N - 1 / math.sqrt(2 * math.pi)) < 1e-3
    assert len(memory) == 2
    for worker, m in memory.items():
        growth = m["peak"] - m["start"]
        # It really held chunks (the sampler saw the work) but never more than a few at once.
        assert CHUNK_BYTES <= growth <= MAX_GROWTH_CHUNKS * CHUNK_BYTES, (worker, m)
        assert m["peak"] < MEMORY_LIMIT, (worker, m)
