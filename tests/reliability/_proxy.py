"""A fault-injecting HTTP proxy on 127.0.0.1 (a free port) in front of an S3 server.

Faults follow a deterministic schedule: ``FaultPlan({"error503": 5, ...})`` gives every fifth
request a 503. During an outage (``outage_after(n)`` until ``end_outage()``) every request is
dropped. The proxy counts requests and faults; ``faults`` is what the reliability figures report.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

#: What each fault does, in the order a request with several due faults picks them.
FAULTS = (
    "drop",  # close the connection without answering; the server never sees the request
    "drop_after",  # forward the request, then close without answering
    "truncate",  # forward, then send the headers and half the body, and close
    "error500",  # answer 500 InternalError
    "error503",  # answer 503 SlowDown
    "stall",  # wait longer than the client's read timeout, then forward
    "delay",  # wait a little, then forward
)
DELAY = 0.05
STALL = 0.8
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te", "upgrade"}
_ERRORS = {
    "error500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "error503": (503, "SlowDown", "Please reduce your request rate."),
}


class FaultPlan:
    """Fault ``name`` on every ``period``-th request (counting from 1)."""

    def __init__(self, periods: Dict[str, int]) -> None:
        unknown = set(periods) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        self.periods = periods

    def fault_for(self, number: int) -> Optional[str]:
        """The fault request ``number`` meets, or None."""
        for name in FAULTS:
            period = self.periods.get(name)
            if period and number % period == 0:
                return name
        return None


class FaultProxy:
    """The proxy server; ``url`` is the endpoint to give the store."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream: Tuple[str, int] = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.plan: Optional[FaultPlan] = None
        self.outage = False
        self._outage_at: Optional[int] = None
        self.requests = 0
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's endpoint URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def faults(self) -> int:
        """How many requests met a fault so far."""
        return sum(self.injected.values())

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def outage_after(self, requests: int) -> None:
        """Drop every request after the next ``requests`` ones, until ``end_outage()``."""
        with self._lock:
            self._outage_at = self.requests + requests

    def end_outage(self) -> None:
        """Serve again (under the fault plan)."""
        with self._lock:
            self._outage_at = None
            self.outage = False

    def admit(self) -> Optional[str]:
        """Number the next request and return the fault it meets."""
        with self._lock:
            self.requests += 1
            if self._outage_at is not None and self.requests > self._outage_at:
                self.outage = True
            if self.outage:
                fault: Optional[str] = "outage"
            else:
                fault = self.plan.fault_for(self.requests) if self.plan else None
            if fault:
                self.injected[fault] += 1
            return fault


class _QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print the connection errors the faults cause."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore the error: clients hanging up is what this server is for."""


def _handler_for(proxy: FaultProxy) -> type:
    class Handler(_RelayHandler):
        owner = proxy

    return Handler


class _RelayHandler(BaseHTTPRequestHandler):
    """Reads a request, applies the proxy's fault, forwards it upstream and relays the answer."""

    protocol_version = "HTTP/1.1"
    owner: FaultProxy

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""

    def do_GET(self) -> None:
        self.relay()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def relay(self) -> None:
        """Handle one request under the fault the schedule gives it."""
        body = self._read_body()
        fault = self.owner.admit()
        if fault in ("drop", "outage"):
            self._hang_up()
            return
        if fault in _ERRORS:
            self._answer_error(*_ERRORS[fault])
            return
        if fault in ("delay", "stall"):
            time.sleep(STALL if fault == "stall" else DELAY)
        status, headers, answer = self._forward(body)
        if fault == "drop_after":
            self._hang_up()
            return
        try:
            self.send_response_only(status)
            for name, value in headers:
                self.send_header(name, value)
            if self.command != "HEAD" or not any(name.lower() == "content-length" for name, _ in headers):
                self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer[: len(answer) // 2] if fault == "truncate" else answer)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return
        if fault == "truncate":
            self._hang_up()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return b"".join(self._chunks())
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _chunks(self) -> Iterator[bytes]:
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline()

    def _forward(self, body: bytes) -> Tuple[int, List[Tuple[str, str]], bytes]:
        headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(*self.owner.upstream, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = [(n, v) for n, v in response.getheaders() if n.lower() not in _HOP_BY_HOP]
            if self.command != "HEAD":
                kept = [(n, v) for n, v in kept if n.lower() != "content-length"]
            return response.status, kept, answer
        finally:
            connection.close()

    def _answer_error(self, status: int, code: str, message: str) -> None:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>fault</RequestId></Error>"
        ).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
