"""The figures hook: one summary line, and a run that lost an object fails even if its tests pass."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[2])


def test_summary_line_and_lost_objects_fail_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"import sys\nsys.path.insert(0, {ROOT!r})\npytest_plugins = ['tests.reliability.conftest']\n"
    )
    pytester.makepyfile(
        """
        def test_counts(figures):
            figures.kills += 2
            figures.concurrent_ops += 3

        def test_loses_quietly(figures):
            figures.lost += 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([
        "reliability: kills survived 2, concurrent operations 3, faults injected 0, bad inputs tried 0, objects lost 1",
        "*2 passed*",
    ])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
