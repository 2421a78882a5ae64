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
import queue
import signal
import sys
import threading
import time
import warnings
from concurrent.futures.process import BrokenProcessPool
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


def forkable() -> bool:
    """Whether workers can be forked from this process: on Linux, with no other Python thread running
    (forking a threaded process, such as a Jupyter kernel, can deadlock)."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() \
        and threading.active_count() == 1


def _context(module: str) -> mp.context.BaseContext:
    """Fork where the platform has it and no other thread runs (forking a threaded process can
    deadlock): workers start at once with every module already imported, and scripts need no
    ``if __name__ == "__main__"`` guard. Otherwise (in a Jupyter kernel, whose threads rule out
    fork) a fork server that imports ``module`` once and forks each worker from it, so workers do
    not each import zopa again as spawned ones would; where there is none, the default."""
    if forkable():
        return mp.get_context("fork")
    if "forkserver" in mp.get_all_start_methods():
        context = mp.get_context("forkserver")
        context.set_forkserver_preload([module])   # read when the server starts: once per process
        return context
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
    if os.getppid() != parent and not _alive(parent):   # a fork server's worker's parent is the server
        os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _processes(fn: Callable, tasks: Mapping[int, Task], on_done: Done, workers: int | None) -> None:
    workers = min(workers or os.cpu_count() or 1, max(1, len(tasks)))
    context = _context(fn.__module__)
    if context.get_start_method() != "fork":
        _shared(fn, tasks, on_done, workers, context)
        return
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_die_with_parent,
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


# ------------------------------------------------------------ workers that are slow to start
# Workers that are not forked from this process start a fresh interpreter, or come from a fork server
# that first imports zopa: seconds before their first chunk, in which a small sweep could have run
# serially. So this process runs chunks too, from the first, while the workers take them from the
# last; a flag in shared memory per chunk makes whoever reaches it first its runner. At the end, this
# process runs again any chunk it expects to finish before the worker that has it (a worker on a
# busy core): whichever result comes first is kept, and both are the same. The server and its
# workers run at a lower priority, on cores this process leaves idle. So a sweep is never slower
# than a serial one, short of what the workers' start costs a machine with no idle core.

_CLAIMS = _STARTS = None   # in a worker: the shared flags and start times, one per chunk


def _init_shared(parent: int, claims, starts) -> None:
    global _CLAIMS, _STARTS
    _die_with_parent(parent)
    _CLAIMS, _STARTS = claims, starts


def _claim(claims, k: int) -> bool:
    """Take chunk ``k`` if nobody has: True once, for one process only."""
    with claims.get_lock():
        if claims[k]:
            return False
        claims[k] = 1
        return True


def _run_claimed(k: int, fn: Callable, args: Task) -> tuple[bool, Any, float]:
    """In a worker: ``(True, fn(*args), seconds)``, or ``(False, None, 0)`` if chunk ``k`` was taken."""
    if not _claim(_CLAIMS, k):
        return False, None, 0.0
    _STARTS[k] = start = time.time()
    return True, fn(*args), time.time() - start


def _nice_server(context) -> None:
    """Start the fork server at a lower priority (niceness + 10), which its workers inherit: its
    import of zopa and the workers then take the cores this process leaves idle, not its own."""
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver
    forkserver.ensure_running()   # returns at once; the server imports zopa meanwhile
    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    with contextlib.suppress(OSError, AttributeError, TypeError):
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10))


class _Side:
    """The pool's share of the chunks, fed from a thread: starting a worker blocks until the fork
    server is ready, and this process meanwhile has chunks to run. The thread also shuts the pool
    down, so that this process never waits for workers it no longer needs."""

    def __init__(self, fn: Callable, tasks: list, workers: int, context) -> None:
        self.claims, self.starts = context.Array("b", len(tasks)), context.Array("d", len(tasks), lock=False)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.stop, self.reported, self.seconds = threading.Event(), set(), []
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_shared,
                                           initargs=(os.getpid(), self.claims, self.starts))
        self.thread = threading.Thread(target=self._feed, args=(fn, tasks, context), daemon=True,
                                       name="zopa-sweep-workers")
        self.thread.start()

    def _feed(self, fn: Callable, tasks: list, context) -> None:
        try:
            _nice_server(context)
            for k in reversed(range(len(tasks))):
                if self.stop.is_set():
                    break
                if not self.claims[k]:
                    future = self.pool.submit(_run_claimed, k, fn, tasks[k])
                    future.add_done_callback(lambda f, k=k: self.done.put((k, f)))
        except RuntimeError:      # the pool broke or was shut down: this process runs what is left
            pass
        finally:
            self.stop.wait()
            _stop(self.pool)      # every chunk is reported: what a worker still runs is not needed
            self.pool.shutdown(wait=True, cancel_futures=True)

    def collect(self, mine: set, report: Callable[[int, Any], None], *, timeout: float = 0.0) -> None:
        """Report the workers' finished chunks, waiting up to ``timeout`` seconds for the first."""
        try:
            item = self.done.get(timeout=timeout) if timeout > 0 else self.done.get_nowait()
        except queue.Empty:
            return
        while item is not None:
            self._report(*item, mine, report)
            try:
                item = self.done.get_nowait()
            except queue.Empty:
                item = None

    def _report(self, k: int, future: cf.Future, mine: set, report: Callable[[int, Any], None]) -> None:
        if k in mine or k in self.reported or future.cancelled():
            return
        if isinstance(future.exception(), BrokenProcessPool) and not self.claims[k]:
            return    # the pool broke before any worker took chunk k: this process will
        taken, result, seconds = future.result()   # a worker's error is raised here, as in any pool
        if taken:
            self.reported.add(k)
            self.seconds.append(seconds)
            report(k, result)

    def take_back(self, pending: set, own: float) -> int | None:
        """The pending chunk this process, taking ``own`` seconds a chunk, expects to finish before
        the worker running it; None if there is none."""
        now = time.time()
        typical = sum(self.seconds) / len(self.seconds) if self.seconds else own
        remaining = {k: max(typical - (now - (self.starts[k] or now)), 0.1 * typical) for k in pending}
        k = max(pending, key=remaining.__getitem__)
        return k if own < remaining[k] else None

    def close(self) -> None:
        with self.claims.get_lock():
            self.claims[:] = [1] * len(self.claims)
        self.stop.set()


def _shared(fn: Callable, tasks: Mapping[int, Task], on_done: Done, workers: int, context) -> None:
    """Run the chunks in this process and ``workers - 1`` pool workers, each chunk reported once."""
    order = list(tasks)
    if workers <= 1:
        return _serial(fn, tasks, on_done)
    side = _Side(fn, [tasks[i] for i in order], workers - 1, context)
    mine: set = set()
    report = lambda k, result: on_done(order[k], result)
    seconds: list[float] = []

    def run(k: int) -> None:
        mine.add(k)
        start = time.perf_counter()
        result = fn(*tasks[order[k]])
        seconds.append(time.perf_counter() - start)
        report(k, result)

    try:
        for k in range(len(order)):
            side.collect(mine, report)
            if _claim(side.claims, k):
                run(k)
        while pending := set(range(len(order))) - mine - side.reported:
            k = side.take_back(pending, sum(seconds) / len(seconds) if seconds else float("inf"))
            if k is None:
                side.collect(mine, report, timeout=0.05)
            else:
                run(k)
    finally:
        side.close()


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
