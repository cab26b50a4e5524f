"""async_copy_store, async_sync_stores and async_clear_store: the async twins, same plans."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Callable, Collection, Optional

from storage.bridge import SyncBackedAsyncStore
from storage.object import ObjectStore
from storage.utils._copying import check_concurrency
from storage.utils._copyplans import SyncRun, can_stat, clear_plan, copy_plan, lists_target
from storage.utils._reports import FAILED, CopyReport, Progress
from storage.utils._sansio import Plan, arun
from storage.wrapper import as_async_store

__all__ = ["async_clear_store", "async_copy_store", "async_sync_stores"]


def _async_face(store: Any) -> Any:
    """``store`` as an async store; a sync ``ObjectStore`` keeps its capabilities, run in threads."""
    return SyncBackedAsyncStore(store) if isinstance(store, ObjectStore) else as_async_store(store)


async def _settled(key: str, plan: Plan[str]) -> tuple[str, str, Optional[BaseException]]:
    try:
        return key, await arun(plan), None
    except Exception as err:
        return key, FAILED, err


async def _drive(
    keys: AsyncIterator[str], plan_for: Callable[[str], Plan[str]], report: CopyReport, concurrency: int
) -> None:
    """Run one plan per key, at most ``concurrency`` at a time, recording each outcome.

    A plan's exception fails its key. Any other (from listing the keys, ``plan_for`` or the
    progress callback) stops the run once the plans under way have finished, and is raised; if
    the run is cancelled, the plans under way are cancelled and awaited first.
    """
    pending: set[asyncio.Future[tuple[str, str, Optional[BaseException]]]] = set()
    try:
        async for key in keys:
            pending.add(asyncio.ensure_future(_settled(key, plan_for(key))))
            if len(pending) >= concurrency:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    report.record(*task.result())
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                report.record(*task.result())
    except BaseException as err:
        await _finish(pending, cancel=not isinstance(err, Exception))
        raise


async def _finish(tasks: Collection[asyncio.Future[Any]], cancel: bool) -> None:
    """Wait until ``tasks`` are done, cancelling them first with ``cancel`` (or if cancelled meanwhile)."""
    if cancel:
        for task in tasks:
            task.cancel()
    if not tasks:
        return
    try:
        await asyncio.wait(tasks)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise


async def _iterate(keys: list[str]) -> AsyncIterator[str]:
    for key in keys:
        yield key


async def async_copy_store(
    from_store: Any,
    to_store: Any,
    overwrite: bool = True,
    *,
    progress: Optional[Progress] = None,
    concurrency: int = 8,
) -> CopyReport:
    """Copy every object of ``from_store`` into ``to_store``, streaming key by key."""
    source, target = _async_face(from_store), _async_face(to_store)
    report = CopyReport(progress=progress)
    sized = can_stat(source)
    plan_for = lambda key: copy_plan(source, target, key, overwrite, sized)  # noqa: E731
    await _drive(source.keys(), plan_for, report, check_concurrency(concurrency))
    return report


async def async_sync_stores(
    from_store: Any,
    to_store: Any,
    delete: bool = False,
    *,
    progress: Optional[Progress] = None,
    concurrency: int = 8,
) -> CopyReport:
    """Make ``to_store`` hold what ``from_store`` holds: copy new, update changed objects."""
    source, target = _async_face(from_store), _async_face(to_store)
    report = CopyReport(progress=progress)
    concurrency = check_concurrency(concurrency)
    present = {key async for key in target.keys()} if lists_target(target, delete) else None
    job = SyncRun(source, target, present)
    await _drive(source.keys(), job.plan_for, report, concurrency)
    if delete:
        await _drive(_iterate(job.extra()), lambda key: clear_plan(target, key), report, concurrency)
    return report


async def async_clear_store(store: Any, *, progress: Optional[Progress] = None, concurrency: int = 8) -> CopyReport:
    """Delete every object of ``store``; the report counts deleted and failed keys."""
    target = _async_face(store)
    keys = [key async for key in target.keys()]
    report = CopyReport(progress=progress)
    await _drive(_iterate(keys), lambda key: clear_plan(target, key), report, check_concurrency(concurrency))
    return report
