"""Where a sweep's chunks run: in this process, in a process pool, or on a Dask cluster.

Every executor gets the same chunks with the same seeds, spawned beforehand in the parent, so the
tables never depend on where, in which order, or on how many workers the chunks ran.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import warnings
from typing import Any, Callable, Iterator, Mapping

__all__ = ["EXECUTORS", "dispatch"]

EXECUTORS = ("serial", "processes", "dask")

Task = tuple  # positional arguments of the chunk function
Done = Callable[[int, Any], None]


def _serial(fn: Callable, tasks: Mapping[int, Task], on_done: Done) -> None:
    for index, args in tasks.items():
        on_done(index, fn(*args))


def _drain(futures: dict, completed: Callable, on_done: Done) -> None:
    try:
        for future in completed(list(futures)):
            on_done(futures[future], future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _context() -> mp.context.BaseContext:
    """Fork where the platform has it and no other thread runs (forking a threaded process can
    deadlock): workers start at once with every module already imported, and scripts need no
    ``if __name__ == "__main__"`` guard. Otherwise the default (spawn: importing mesa makes it so)."""
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() \
            and threading.active_count() == 1:
        return mp.get_context("fork")
    return mp.get_context()


_PR_SET_PDEATHSIG = 1   # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when the sweep that started it ends, however it ends.

    On Linux the kernel sends SIGKILL to the worker when its parent dies (``prctl(PR_SET_PDEATHSIG)``),
    even after the parent's own SIGKILL; a worker whose parent died before this line ran exits at once.
    SIGTERM and SIGINT get their default actions back (a forked worker inherits the parent's handlers,
    which would turn a SIGTERM into an exception a worker reports and survives).
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _processes(fn: Callable, tasks: Mapping[int, Task], on_done: Done, workers: int | None) -> None:
    workers = min(workers or os.cpu_count() or 1, max(1, len(tasks)))
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_die_with_parent,
                                  initargs=(os.getpid(),))
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns of fork() in a process with other threads. _context forks only when no other
            # Python thread runs; the threads it cannot see are native and fork-safe: OpenBLAS's pool and
            # jemalloc's (pyarrow's) background thread register pthread_atfork handlers for exactly this.
            # The pool forks every worker on the first submit (before its own manager thread starts).
            warnings.filterwarnings("ignore", r".*use of fork\(\) may lead to deadlocks", DeprecationWarning)
            futures = {pool.submit(fn, *args): i for i, args in tasks.items()}
        _drain(futures, cf.as_completed, on_done)
    except BaseException:
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _stop(pool: cf.ProcessPoolExecutor) -> None:
    """Failed, interrupted or terminated: end the running chunks now rather than wait for them (their
    results would be thrown away; finished chunks are already on disk)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.terminate()


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError("executor 'dask' needs dask.distributed: pip install 'zopa[distributed]'") from None
    return distributed


@contextlib.contextmanager
def _dask_client(executor: Any, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    distributed = _import_distributed()
    if executor != "dask":
        yield executor  # a Client the caller owns and closes
    elif scheduler is not None:
        with distributed.Client(scheduler) as client:
            yield client
    else:
        # loopback only: a sweep's own cluster is no service for the network
        with distributed.LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, host="127.0.0.1",
                                      dashboard_address="127.0.0.1:0") as cluster, \
                distributed.Client(cluster) as client:
            yield client


def _dask(fn: Callable, tasks: Mapping[int, Task], on_done: Done, client: Any) -> None:
    distributed = _import_distributed()
    futures = {client.submit(fn, *args, pure=False, key=f"zopa-chunk-{i}-{os.urandom(4).hex()}"): i
               for i, args in tasks.items()}
    _drain(futures, distributed.as_completed, on_done)


def _is_client(executor: Any) -> bool:
    return type(executor).__name__ == "Client" and hasattr(executor, "submit") and hasattr(executor, "scheduler")


def dispatch(fn: Callable, tasks: Mapping[int, Task], on_done: Done, *, executor: Any = "processes",
             workers: int | None = None, scheduler: str | None = None) -> None:
    """Run ``fn(*tasks[i])`` for every ``i`` and call ``on_done(i, result)`` in the parent as each ends.

    Parameters
    ----------
    executor : {"serial", "processes", "dask"}, dask.distributed.Client or concurrent.futures.Executor
        ``"dask"`` connects to ``scheduler`` (an address such as ``"tcp://10.0.0.5:8786"``) or,
        without one, starts a local cluster of ``workers`` processes for this call.
    """
    if not tasks:
        return
    if isinstance(executor, cf.Executor):
        _drain({executor.submit(fn, *a): i for i, a in tasks.items()}, cf.as_completed, on_done)
    elif executor == "serial":
        _serial(fn, tasks, on_done)
    elif executor == "processes":
        _processes(fn, tasks, on_done, workers)
    elif executor == "dask" or _is_client(executor):
        with _dask_client(executor, scheduler, workers) as client:
            _dask(fn, tasks, on_done, client)
    else:
        raise ValueError(f"found executor {executor!r}, expected one of {', '.join(EXECUTORS)}, "
                         "a dask.distributed.Client or a concurrent.futures.Executor")
