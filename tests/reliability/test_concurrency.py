"""4 processes x 2 threads doing mixed puts, gets, deletes and listings on one store.

No error but ``ObjectNotFound`` from racing deletes, no torn read, and a final state that a
last-writer-wins history explains: each writer's own keys hold exactly what it last did to them,
and each shared hot key holds what one of the writers last did to it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import pytest
from tests.reliability._figures import Figures
from tests.reliability._workload import HOT_KEYS, decode, make_store

from storage.errors import ObjectNotFound

CHILD = str(Path(__file__).with_name("_children.py"))
PROCESSES = 4
THREADS = 2
OPS_PER_THREAD = 1000


def run_writers(kind: str, path: str) -> List[Dict[str, Any]]:
    """Start the processes, release them together once all are ready, and collect their reports."""
    shape = [str(PROCESSES), str(THREADS), str(OPS_PER_THREAD), "9"]
    children = [
        subprocess.Popen(
            [sys.executable, CHILD, "mixed", kind, path, str(n), *shape],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(PROCESSES)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.communicate()[1]
    reports = []
    for child in children:
        out, err = child.communicate("go\n", timeout=240)
        assert child.returncode == 0, err
        reports.append(json.loads(out))
    return reports


def final_state(store: Any, key: str) -> Optional[int]:
    try:
        return decode(key, store.get(key))
    except ObjectNotFound:
        return None


@pytest.mark.parametrize("kind", ["fs", "sqlite"])
def test_mixed_workload_last_writer_wins(kind: str, tmp_path: Path, figures: Figures) -> None:
    path = str(tmp_path / ("root" if kind == "fs" else "store.db"))
    reports = run_writers(kind, path)
    figures.concurrent_ops += sum(report["ops"] for report in reports)
    errors = [error for report in reports for error in report["errors"]]
    assert not errors, errors[:10]
    assert sum(report["torn"] for report in reports) == 0
    candidates: Dict[str, Set[Optional[int]]] = {key: set() for key in HOT_KEYS}
    for report in reports:
        for last in report["hot_last"]:
            for key, gen in last.items():
                candidates[key].add(gen)
    store = make_store(kind, path)
    with store:
        own = {key: final_state(store, key) for report in reports for key in report["own"]}
        expected = {key: gen for report in reports for key, gen in report["own"].items()}
        hot = {key: final_state(store, key) for key in HOT_KEYS}
        listed = set(store.keys())
    lost = sum(own[key] != expected[key] for key in expected)
    lost += sum(hot[key] not in (candidates[key] or {None}) for key in HOT_KEYS)
    figures.lost += lost
    assert own == expected
    assert all(hot[key] in (candidates[key] or {None}) for key in HOT_KEYS), (hot, candidates)
    assert listed == {key for key, gen in {**own, **hot}.items() if gen is not None}
