"""copy_store, sync_stores and clear_store: key by key, with bounded concurrency and a report."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Optional

from storage.errors import ConfigError
from storage.utils._copyplans import SyncRun, can_stat, clear_plan, copy_plan, lists_target
from storage.utils._reports import FAILED, CopyReport, Progress
from storage.utils._sansio import Plan, run
from storage.wrapper import as_store

__all__ = ["check_concurrency", "clear_store", "copy_store", "sync_stores"]


def check_concurrency(concurrency: int) -> int:
    """Return ``concurrency`` if it is a positive integer, else raise ``ConfigError``."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ConfigError(f"concurrency must be a positive integer, not {concurrency!r}")
    return concurrency


def _drive(keys: Iterable[str], plan_for: Callable[[str], Plan[str]], report: CopyReport, concurrency: int) -> None:
    """Run one plan per key on ``concurrency`` threads, recording each outcome.

    Each thread takes the next key itself: the key iterator and ``plan_for`` run under one lock
    (one key at a time, in order), ``report.record`` under another, so the calling thread only
    waits and no key is handed from thread to thread. A plan's exception fails its key; any
    other (from listing the keys, ``plan_for`` or the progress callback) and an interrupt of the
    calling thread stop the run once the plans under way have finished, and are raised here.
    """
    source = iter(keys)
    taking, recording = threading.Lock(), threading.Lock()
    stopped = threading.Event()
    raised: list[BaseException] = []

    def next_plan() -> Optional[tuple[str, Plan[str]]]:
        with taking:
            if stopped.is_set():
                return None
            key = next(source, None)
            return None if key is None else (key, plan_for(key))

    def work() -> None:
        try:
            while (job := next_plan()) is not None:
                key, plan = job
                try:
                    outcome, error = run(plan), None
                except Exception as err:
                    outcome, error = FAILED, err
                with recording:
                    report.record(key, outcome, error)
        except BaseException as err:
            stopped.set()
            raised.append(err)

    workers = [threading.Thread(target=work, name=f"storage-copy-{n}", daemon=True) for n in range(concurrency)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
    except BaseException:
        stopped.set()
        for worker in workers:
            worker.join()
        raise
    if raised:
        raise raised[0]


def copy_store(
    from_store: Any,
    to_store: Any,
    overwrite: bool = True,
    *,
    progress: Optional[Progress] = None,
    concurrency: int = 8,
) -> CopyReport:
    """Copy every object of ``from_store`` into ``to_store``, streaming key by key.

    With ``overwrite=False`` objects the target already has are left (counted unchanged).
    Objects of ``STREAM_THRESHOLD`` bytes or more (by the source's ``stat``, where it has a
    cheap one) are streamed in chunks with ``open_read``/``open_write``.
    A key that fails is counted and named in the report; the others still copy. ``progress``
    is called from the worker threads, one call at a time.
    """
    source, target = as_store(from_store), as_store(to_store)
    report = CopyReport(progress=progress)
    sized = can_stat(source)
    plan_for = lambda key: copy_plan(source, target, key, overwrite, sized)  # noqa: E731
    _drive(source.keys(), plan_for, report, check_concurrency(concurrency))
    return report


def sync_stores(
    from_store: Any,
    to_store: Any,
    delete: bool = False,
    *,
    progress: Optional[Progress] = None,
    concurrency: int = 8,
) -> CopyReport:
    """Make ``to_store`` hold what ``from_store`` holds: copy new, update changed objects.

    The target is listed once first (where it can list): keys it lacks are copied without asking
    it. Other objects are compared by ``stat`` where both stores keep metadata natively (size,
    content hashes, then modification times: see ``compare_stats``), and by content where that
    cannot tell or a store keeps no metadata. Large objects are streamed where the source's
    ``stat`` gives their size. With ``delete=True`` objects only the target has are removed.
    """
    source, target = as_store(from_store), as_store(to_store)
    report = CopyReport(progress=progress)
    concurrency = check_concurrency(concurrency)
    job = SyncRun(source, target, set(target.keys()) if lists_target(target, delete) else None)
    _drive(source.keys(), job.plan_for, report, concurrency)
    if delete:
        _drive(job.extra(), lambda key: clear_plan(target, key), report, concurrency)
    return report


def clear_store(store: Any, *, progress: Optional[Progress] = None, concurrency: int = 8) -> CopyReport:
    """Delete every object of ``store``; the report counts deleted and failed keys."""
    target = as_store(store)
    keys = list(target.keys())
    report = CopyReport(progress=progress)
    _drive(keys, lambda key: clear_plan(target, key), report, check_concurrency(concurrency))
    return report
