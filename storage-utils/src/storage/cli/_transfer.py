"""``cp`` and ``sync``: objects and folders between stores and the local file system."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional

from storage.cli._address import STDIO, Address, LocalPath, StoreAddress, folder, join_key
from storage.cli._errors import EXIT_FAILED, EXIT_OK, Failed, UsageError, about, one_line
from storage.cli._output import as_json, binary, object_bytes, report_dict, report_line, write_all
from storage.cli._progress import ProgressBar
from storage.cli._session import Session
from storage.cli._wrappers import CountingStore, DryRunStore
from storage.fs import FilesystemStore
from storage.utils import CopyReport, PrefixStore, copy_store, sync_stores

__all__ = ["run_cp", "run_sync"]

#: Outcomes that change the target (the names of ``CopyReport``'s counters).
_CHANGES = {"copied": "copy", "updated": "update", "deleted": "delete"}
#: Failed keys named one by one before the rest are only counted.
_SHOWN_FAILURES = 20


def _label(address: Address, key: str) -> str:
    """How a key inside a folder view is named in messages."""
    if isinstance(address, LocalPath):
        return os.path.join(address.path, key)
    return f"{address.store}:{folder(address.key)}{key}"


def _view(session: Session, address: Address, *, source: bool) -> Any:
    """A store holding what ``address`` names as a folder: a local directory, or a store's prefix."""
    if isinstance(address, StoreAddress):
        store = session.store(address.store)
        prefix = folder(address.key)
        return PrefixStore(store, prefix) if prefix else store
    if address.path == STDIO:
        raise UsageError("'-' (stdin or stdout) names one object's data, not a folder: not with cp -r or sync")
    if source and not os.path.isdir(address.path):
        raise Failed(f"{address.path}: no such directory")
    if not source and os.path.exists(address.path) and not os.path.isdir(address.path):
        raise Failed(f"{address.path}: exists and is not a directory")
    return FilesystemStore(address.path)


def _transfer(session: Session, args: argparse.Namespace, source: Address, target: Address, *, sync: bool) -> int:
    """Copy or sync the folder ``source`` onto the folder ``target``; print the report."""
    if isinstance(source, LocalPath) and isinstance(target, LocalPath):
        raise UsageError("both arguments are local paths: one of them must be STORE:PREFIX")
    dry_run = bool(getattr(args, "dry_run", False))
    verb = "sync" if sync else "cp"
    source_view = _view(session, source, source=True)
    target_view = _view(session, target, source=False)
    bar: Optional[ProgressBar] = None
    listed: Optional[list[str]] = None
    if session.progress_wanted:
        with about(f"{verb}: list {source}"):
            listed = list(source_view.keys())
    counter = CountingStore(source_view, listed)
    if listed is not None:
        bar = ProgressBar(session.stderr, len(listed), lambda: counter.bytes_read)
    changes: list[tuple[str, str]] = []

    def progress(key: str, outcome: str, report: CopyReport) -> None:
        if dry_run and outcome in _CHANGES:
            changes.append((key, outcome))
        if bar is not None:
            bar(key, outcome, report)

    destination = DryRunStore(target_view) if dry_run else target_view
    try:
        with about(f"{verb} {source} {target}"):
            if sync:
                report = sync_stores(counter, destination, delete=args.delete, progress=progress)
            else:
                report = copy_store(counter, destination, progress=progress)
    except BaseException:
        if bar is not None:
            bar.abandon()
        raise
    if bar is not None:
        bar.finish()
    _print_report(session, args, report, counter.bytes_read, changes, source, target, dry_run)
    return EXIT_FAILED if report.failed else EXIT_OK


def _print_report(
    session: Session,
    args: argparse.Namespace,
    report: CopyReport,
    read_bytes: int,
    changes: list[tuple[str, str]],
    source: Address,
    target: Address,
    dry_run: bool,
) -> None:
    if args.json:
        extra = {"source": str(source), "target": str(target), "dry_run": dry_run, "bytes_read": read_bytes}
        if dry_run:
            extra["changes"] = [{"key": key, "outcome": outcome} for key, outcome in sorted(changes)]
        session.print(as_json(report_dict(report, **extra)))
    else:
        for key, outcome in sorted(changes):
            session.print(f"would {_CHANGES[outcome]}: {key}")
        session.print(report_line(report, read_bytes, dry_run=dry_run))
    for key in report.failed_keys[:_SHOWN_FAILURES]:
        reason = one_line(str(report.errors.get(key, "failed")))
        session.stderr.write(f"storage: error: {_label(source, key)} -> {_label(target, key)}: {reason}\n")
    if report.failed > _SHOWN_FAILURES:
        session.stderr.write(f"storage: error: ... and {report.failed - _SHOWN_FAILURES} more failed keys\n")


def _read_local(source: LocalPath, target: StoreAddress) -> tuple[bytes, str]:
    """The bytes of a local file (``-``: stdin) and the key ``cp`` stores them at."""
    if source.path == STDIO:
        if not target.key or target.key.endswith("/"):
            raise UsageError(f"{target} names no object: give STORE:KEY to store stdin at")
        return binary(sys.stdin).read(), target.key
    if os.path.isdir(source.path):
        raise UsageError(f"{source.path} is a directory (use cp -r)")
    with about(f"cp {source}"), open(source.path, "rb") as file:
        data = file.read()
    return data, join_key(target.key, os.path.basename(source.path))


def _copy_object(session: Session, source: Address, target: Address) -> int:
    """Copy one object: store to store, local file (or stdin) to store, store to local file (or stdout)."""
    if isinstance(source, LocalPath):
        if not isinstance(target, StoreAddress):
            raise UsageError("both arguments are local paths: one of them must be STORE:KEY")
        data, key = _read_local(source, target)
        with about(f"cp {source} {target.store}:{key}"):
            session.store(target.store).put(key, data)
        return EXIT_OK
    if not source.key or source.key.endswith("/"):
        raise UsageError(f"{source} names a folder of objects (use cp -r)")
    with about(f"cp {source}"):
        data = session.store(source.store).get(source.key)
    name = source.key.rpartition("/")[2]
    if isinstance(target, StoreAddress):
        key = join_key(target.key, name)
        with about(f"cp {source} {target.store}:{key}"):
            session.store(target.store).put(key, data)
        return EXIT_OK
    payload = object_bytes(data, str(source))
    path = target.path
    if path == STDIO:
        out = binary(session.stdout)
        write_all(out, payload)
        out.flush()
        return EXIT_OK
    if os.path.isdir(path) or path.endswith("/"):
        path = os.path.join(path, name)
    with about(f"cp {source} {path}"), open(path, "wb") as file:
        file.write(payload)
    return EXIT_OK


def run_cp(session: Session, args: argparse.Namespace) -> int:
    """``cp [-r] SRC DST``."""
    source, target = session.address(args.source), session.address(args.target)
    if args.recursive:
        return _transfer(session, args, source, target, sync=False)
    return _copy_object(session, source, target)


def run_sync(session: Session, args: argparse.Namespace) -> int:
    """``sync SRC[:PREFIX] DST[:PREFIX] [--delete] [--dry-run]``."""
    return _transfer(session, args, session.address(args.source), session.address(args.target), sync=True)
