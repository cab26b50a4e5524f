"""A recording HTTP relay in front of the moto server, for the faults moto cannot produce itself."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import urlsplit

_PRECONDITION_FAILED = (
    b"<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not"
    b" hold</Message><Condition>x-amz-copy-source-If-Match</Condition></Error>"
)


class Relay:
    """An HTTP server on 127.0.0.1 that relays requests to the moto server and records them.

    ``failures`` lists what happens to the next requests instead of relaying them: ``"500"``
    answers 500 Internal Error, ``"drop"`` closes the connection without an answer. The next
    ``corrupt`` object bodies a GET answers are damaged (their first byte flipped, the headers
    kept). ``connections`` counts the connections clients opened. UploadPartCopy honours
    ``x-amz-copy-source-if-match`` as S3 does (moto ignores it).
    """

    def __init__(self, target: str) -> None:
        self.target = urlsplit(target).netloc
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.failures: list[str] = []
        self.corrupt = 0
        self.connections = 0
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with relay._lock:
                    relay.connections += 1

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                relay.seen.append((self.command, self.path, dict(self.headers)))
                failure = relay.failures.pop(0) if relay.failures else None
                if failure == "drop":
                    self.close_connection = True
                    return
                if failure == "500":
                    self._answer(500, [], b"")
                    return
                if relay._source_changed(self.command, self.path, self.headers):
                    self._answer(412, [("Content-Type", "application/xml")], _PRECONDITION_FAILED)
                    return
                status, headers, content = relay._forward(self.command, self.path, dict(self.headers), body)
                if self.command == "GET" and status in (200, 206) and content and "?" not in self.path:
                    with relay._lock:
                        damage, relay.corrupt = relay.corrupt > 0, max(relay.corrupt - 1, 0)
                    if damage:
                        content = bytes([content[0] ^ 1]) + content[1:]
                self._answer(status, headers, content)

            def _answer(self, status: int, headers: list[tuple[str, str]], content: bytes) -> None:
                self.send_response(status)
                length = str(len(content))
                for name, value in headers:
                    if name.lower() == "content-length":
                        length = value
                    elif name.lower() not in ("connection", "transfer-encoding", "server", "date"):
                        self.send_header(name, value)
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: Optional[bytes]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(self.target, timeout=30)
        try:
            upstream.request(method, path, body=body, headers=headers)
            answer = upstream.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            upstream.close()

    def _source_changed(self, method: str, path: str, headers: Any) -> bool:
        """Whether this is an UploadPartCopy whose source no longer has the ETag it requires."""
        expected = headers.get("x-amz-copy-source-if-match")
        if method != "PUT" or "partNumber=" not in path or expected is None:
            return False
        source = "/" + headers["x-amz-copy-source"].lstrip("/")
        # moto reads the account from the credential and checks no signature (the tests' default).
        status, answer, _ = self._forward("HEAD", source, {"Authorization": headers["Authorization"]}, None)
        etag = dict((name.lower(), value) for name, value in answer).get("etag", "")
        return status == 200 and etag.strip('"') != expected.strip('"')

    @property
    def url(self) -> str:
        """The relay's endpoint URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def agents(self) -> list[str]:
        """``lean`` or ``botocore`` for each request seen, by its user agent."""
        return ["botocore" if "Botocore" in headers.get("User-Agent", "") else "lean" for _, _, headers in self.seen]

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
