"""The session's reliability figures (printed as one line at the end of the run), and S3 fixtures."""

from __future__ import annotations

import uuid
from contextlib import closing
from typing import Any, Iterator

import pytest
from tests.reliability._figures import Figures
from tests.reliability._s3 import admin_client

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


@pytest.fixture
def s3_admin(s3_endpoint: str) -> Iterator[Any]:
    """A plain boto3 client straight to the S3 server (no proxy), to set up and inspect buckets."""
    with closing(admin_client(s3_endpoint)) as client:
        yield client


@pytest.fixture
def s3_bucket(s3_admin: Any) -> str:
    """A fresh, empty bucket of its own for the test."""
    name = f"reliability-{uuid.uuid4().hex[:16]}"
    s3_admin.create_bucket(Bucket=name)
    return name

