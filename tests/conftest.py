"""Fixtures shared by every test folder.

Only the standard library and pytest are imported here: the core-only environments run tests
too, so a fixture that needs an optional dependency imports it when it is used.
"""

from __future__ import annotations

import logging
from typing import Iterator

import pytest


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto server speaking S3 over real HTTP on 127.0.0.1 (a free port)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
