"""``python -m benchmarks``: run the chosen groups, print their tables, optionally write Markdown."""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import time
from typing import List, Optional, Sequence

from benchmarks import report
from benchmarks.context import Context, Settings
from benchmarks.harness import Comparison

#: Group name -> module; each module has ``run(context) -> list[Comparison]``.
GROUPS = {
    "memory": "benchmarks.memory",
    "layers": "benchmarks.layerwork",
    "filesystem": "benchmarks.filesystem",
    "sqlite": "benchmarks.sqlite",
    "zip": "benchmarks.zipstore",
    "s3": "benchmarks.s3",
    "bulk": "benchmarks.bulk",
    "large": "benchmarks.large",
    "coldstart": "benchmarks.coldstart",
}


def parse(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure our stores beside the raw calls they wrap and the peer libraries; print medians "
        "and ratios to the raw call of the same backend, measured in the same run.",
    )
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"groups to run (default: all): {', '.join(GROUPS)}")
    parser.add_argument("--quick", action="store_true", help="small workloads and 3 repeats (under a minute)")
    parser.add_argument("--repeats", type=int, help="samples per case (default: 7, or 3 with --quick)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown to FILE")
    parser.add_argument(
        "--aws",
        metavar="PATH",
        default=os.environ.get("STORAGE_BENCH_AWS") or shutil.which("aws"),
        help="the aws command for the bulk group (default: $STORAGE_BENCH_AWS, else aws on PATH)",
    )
    parser.add_argument("--scratch", metavar="DIR", help="where to create the scratch directory (default: $TMPDIR)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.groups if name not in GROUPS]
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def _write_markdown(path: str, comparisons: List[Comparison], context: Context, aws: str, seconds: float) -> None:
    lines = ["## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in report.machine().items()]
    lines += ["", "## Versions", ""]
    lines += [f"- {name}: {value}" for name, value in report.versions(aws).items()]
    settings = context.settings
    lines += [
        "",
        "## Run",
        "",
        f"- {'quick' if settings.quick else 'full'} mode, {settings.repeats} repeats per case, {seconds:.0f} s",
        "",
    ]
    group = None
    for comparison in comparisons:
        if comparison.group != group:
            group = comparison.group
            lines += [f"### {group}", ""]
        lines += [report.markdown_table(comparison), ""]
    lines += ["## Targets", "", "| group | operation | subject | figure | verdict |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in report.summary(comparisons)]
    if context.skipped:
        lines += ["", "## Not measured", ""]
        lines += [f"- {group}: {what}: {reason}" for group, what, reason in context.skipped]
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse(argv)
    settings = Settings(quick=args.quick, repeats=args.repeats or (3 if args.quick else 7))
    context = Context(settings, args.scratch, args.aws or "")
    names = args.groups or list(GROUPS)
    for name, value in report.machine().items():
        print(f"{name}: {value}")
    started = time.perf_counter()
    comparisons: List[Comparison] = []
    try:
        for name in names:
            print(f"\n== {name}", flush=True)
            group_started = time.perf_counter()
            for comparison in importlib.import_module(GROUPS[name]).run(context):
                print(report.text_table(comparison), flush=True)
                comparisons.append(comparison)
            print(f"  ({time.perf_counter() - group_started:.1f} s)")
    finally:
        context.close()
    seconds = time.perf_counter() - started
    print("\n== targets")
    for row in report.summary(comparisons):
        print("  " + " | ".join(row))
    for group, what, reason in context.skipped:
        print(f"  not measured: {group}: {what}: {reason}")
    print(f"\n{len(comparisons)} comparisons in {seconds:.0f} s")
    if args.markdown:
        _write_markdown(args.markdown, comparisons, context, context.aws, seconds)
        print(f"wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
