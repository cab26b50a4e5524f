"""Tables of a run (plain text for the terminal, Markdown for RESULTS.md), the machine and versions."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from importlib import metadata
from typing import Dict, List, Sequence, Tuple

from benchmarks.harness import Comparison, Entry, format_value

DISTRIBUTIONS = (
    "storage-core",
    "storage-sqlite",
    "storage-zip",
    "storage-s3",
    "storage-utils",
    "boto3",
    "botocore",
    "aioboto3",
    "moto",
    "obstore",
    "fsspec",
    "s3fs",
    "diskcache",
    "minimalkv",
    "PyYAML",
)
HEADER = ("subject", "median", "x raw", "target", "figure", "verdict")


def _rows(comparison: Comparison) -> List[Tuple[str, ...]]:
    raw = comparison.raw
    rows = [(f"{raw.label} (raw)", format_value(raw.median, comparison.unit), "1.00x", "", "", "")]
    return rows + [_row(comparison, entry) for entry in comparison.entries]


def _row(comparison: Comparison, entry: Entry) -> Tuple[str, ...]:
    label = f"**{entry.label}**" if entry.ours else entry.label
    verdicts = [(target, figure, met) for owner, target, figure, met in comparison.verdicts() if owner is entry]
    return (
        label,
        format_value(entry.median, comparison.unit),
        f"{comparison.ratio(entry):.2f}x",
        "; ".join(target.describe() for target, _, _ in verdicts),
        "; ".join(target.show(figure) for target, figure, _ in verdicts),
        "; ".join("PASS" if met else "MISS" for _, _, met in verdicts),
    )


def text_table(comparison: Comparison) -> str:
    """One comparison as an aligned plain-text table."""
    rows = [HEADER, *(tuple(cell.replace("**", "") for cell in row) for row in _rows(comparison))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER))]
    lines = [f"{comparison.group} / {comparison.operation}" + (f"  ({comparison.note})" if comparison.note else "")]
    lines += ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def markdown_table(comparison: Comparison) -> str:
    """One comparison as a Markdown table under a heading."""
    title = f"#### {comparison.operation}" + (f"\n\n{comparison.note}" if comparison.note else "")
    lines = [title, "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(comparison)]
    return "\n".join(lines)


def summary(comparisons: Sequence[Comparison]) -> List[Tuple[str, str, str, str, str]]:
    """(group, operation, subject, figure vs target, verdict) for every entry with a target."""
    return [
        (
            c.group,
            c.operation,
            entry.label,
            f"{target.show(figure)} (target {target.describe()})",
            "PASS" if met else "MISS",
        )
        for c in comparisons
        for entry, target, figure, met in c.verdicts()
    ]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def machine() -> Dict[str, str]:
    """CPU, cores, memory, OS and Python of this machine."""
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "SQLite": sqlite3.sqlite_version,
    }


def versions(aws_command: str = "") -> Dict[str, str]:
    """Installed versions of our distributions and the peers (``-`` where one is missing)."""
    found = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    aws = aws_command or shutil.which("aws") or ""
    if aws:
        try:
            output = subprocess.run([aws, "--version"], capture_output=True, text=True, check=False, timeout=60)
            found["awscli"] = (output.stdout or output.stderr).split()[0].partition("/")[2]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            found["awscli"] = "-"
    else:
        found["awscli"] = "-"
    return found
