"""The session's reliability figures, printed as one line at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest
from tests.reliability._figures import Figures

FIGURES = pytest.StashKey[Figures]()


def _figures(config: pytest.Config) -> Figures:
    return config.stash.setdefault(FIGURES, Figures())


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """The session-wide collector every reliability test adds its counts to."""
    return _figures(request.config)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the figures of the reliability tests that ran."""
    if FIGURES in config.stash:
        terminalreporter.write_line(config.stash[FIGURES].summary())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any test lost an object, whatever the tests themselves asserted."""
    if FIGURES in session.config.stash and session.config.stash[FIGURES].lost:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
