"""Parallel map for sweeps and Monte Carlo draws, through Dask.

Default: Dask's local scheduler on this machine ("processes" when the work holds the GIL, "threads"
when it is numpy-bound, "sync" for debugging). Give `address` (e.g. "tcp://10.0.0.5:8786") to send the
same tasks to a dask.distributed cluster when a province-sized job outgrows one machine."""
from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

SCHEDULERS = ("threads", "processes", "sync")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def batches(items: Sequence, n_batches: int) -> list[list]:
    """Split items into at most n_batches contiguous, nearly equal runs (order kept)."""
    items = list(items)
    n = max(1, min(n_batches, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        stop = start + size + (1 if i < extra else 0)
        out.append(items[start:stop])
        start = stop
    return [b for b in out if b]


def _run_batch(fn, shared, batch):
    return [fn(shared, item) for item in batch]


def map_tasks(fn: Callable, items: Iterable, shared=None, *, scheduler: str = "threads",
              address: str | None = None, workers: int | None = None, tasks_per_worker: int = 2) -> list:
    """[fn(shared, item) for item in items], run by Dask; results come back in the order of items.

    Items are grouped into a few batches per worker so a task costs far more than Dask's overhead;
    `shared` is sent once per batch (keep it compact: aggregates, not case rows)."""
    items = list(items)
    if not items:
        return []
    import dask
    from dask import delayed

    if address:
        from distributed import Client
        with Client(address) as client:
            n = max(1, sum(client.nthreads().values()))
            parts = batches(items, n * tasks_per_worker)
            shared_f = client.scatter(shared, broadcast=True)
            futs = [client.submit(_run_batch, fn, shared_f, b, pure=False) for b in parts]
            return [r for part in client.gather(futs) for r in part]
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {SCHEDULERS}, not {scheduler!r}")
    n = workers or default_workers()
    parts = batches(items, 1 if scheduler == "sync" else n * tasks_per_worker)
    tasks = [delayed(_run_batch)(fn, shared, b) for b in parts]
    kw: dict[str, str | int] = {"scheduler": scheduler}
    if scheduler != "sync":
        kw["num_workers"] = n
    done = dask.compute(*tasks, **kw)
    return [r for part in done for r in part]
