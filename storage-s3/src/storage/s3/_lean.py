"""The lean request path of ``BucketStore``: simple GET/HEAD/PUT/DELETE of one key, sent without botocore's pipeline.

botocore spends about 1 ms of client CPU on each request (event dispatch, endpoint rules,
user agent, request and response pipeline). For the four idempotent requests on one key that
carry nothing but the bucket and the key (and a small body for PUT), ``LeanRequests`` signs
the request with botocore's own ``S3SigV4Auth`` and sends it over the client's own HTTP
session: straight to the session's urllib3 pool for the bucket's host, set up as the session
sets it up for each request (its timeouts, pool size and TLS settings), or, where a proxy
applies, through ``session.send``. Only the plain outcomes are handled
here: a 2xx answer, and a 404 of GET or HEAD (raised as the ``ClientError`` the client would
raise). Anything else (another status, a redirect, an exception while sending or receiving, a
checksum this module does not verify) makes ``send`` return ``None``, and the caller re-issues
the request through the client, which retries, follows redirects and reports errors as usual.

A PUT carries a CRC-32 of its body (``x-amz-checksum-crc32``) where botocore would, except where
the signature already covers the body: over plain HTTP, S3's SigV4 signs the SHA-256 of the body
(``x-amz-content-sha256``) and S3 refuses a body that does not match it, so a second checksum
would only cost the client and the server work. Over HTTPS the body is left unsigned and the
CRC-32 is S3's check of it, as with botocore.

The URL is botocore's: the client is asked once, at set-up, which URL it sends for a probe key
(the request is stopped before it leaves), and each request appends the key encoded as
botocore encodes it.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.compat import HAS_CRT, has_minimum_crt_version
from botocore.httpchecksum import (
    Crc32Checksum,
    CrtCrc32cChecksum,
    CrtCrc32Checksum,
    CrtCrc64NvmeChecksum,
    Sha1Checksum,
    Sha256Checksum,
    StreamingChecksumBody,
)
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.utils import percent_encode

from storage.s3._client import SMALL_BODY_SIZE, parse_timestamp
from storage.s3._steps import Call

__all__ = ["LeanRequests"]

log = logging.getLogger("storage.s3")

#: Client method -> (HTTP method, botocore operation name).
_METHODS = {
    "get_object": ("GET", "GetObject"),
    "head_object": ("HEAD", "HeadObject"),
    "put_object": ("PUT", "PutObject"),
    "delete_object": ("DELETE", "DeleteObject"),
}
_KEY_PARAMS = frozenset({"Bucket", "Key"})
_PUT_PARAMS = frozenset({"Bucket", "Key", "Body"})
#: Headers a plain HEAD of the client may carry; any other (from endpoint rules, a plugin) turns the lean path off.
_PLAIN_HEADERS = frozenset({
    "authorization", "user-agent", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
    "amz-sdk-invocation-id", "amz-sdk-request",
})
_SIGNATURE_PREFIX = "AWS4-HMAC-SHA256 Credential="
#: Response checksums in the order botocore tries them; the first full-object one it can verify is checked.
_CHECKSUM_PRIORITY = ("crc64nvme", "crc32c", "crc32", "sha1", "sha256")


def _checksum_classes() -> dict[str, Any]:
    """The checksums botocore verifies in this installation: CRC-32C and CRC-64/NVME only with ``awscrt``."""
    classes: dict[str, Any] = {"crc32": Crc32Checksum, "sha1": Sha1Checksum, "sha256": Sha256Checksum}
    if HAS_CRT:
        classes.update(crc32=CrtCrc32Checksum, crc32c=CrtCrc32cChecksum)
        if has_minimum_crt_version((0, 23, 4)):
            classes["crc64nvme"] = CrtCrc64NvmeChecksum
    return classes


_CHECKSUMS = _checksum_classes()


class _Probed(Exception):
    """Stops the probe request before it is sent, carrying what botocore would send."""

    def __init__(self, url: str, headers: Mapping[str, Any]) -> None:
        super().__init__("probe")
        self.url = url
        self.headers = headers


class LeanRequests:
    """Sends the plain requests of one bucket for a client the store created (see the module)."""

    def __init__(self, client: Any, bucket: str, prefix: str, region: str, service: str, store_name: str) -> None:
        config = client.meta.config
        self._client = client
        self._session = client._endpoint.http_session
        self._pool = _direct_pool(self._session, prefix)
        self._origin = len(urlsplit(prefix)._replace(path="", query="", fragment="").geturl())
        self._credentials = client._request_signer._credentials
        self._config = config
        self._bucket = bucket
        self._prefix = prefix
        self._region = region
        self._service = service
        self._store_name = store_name
        self._put_checksum = (
            getattr(config, "request_checksum_calculation", None) == "when_supported"
            and not _signs_payload(config, prefix)
        )
        self._get_checksum = getattr(config, "response_checksum_validation", None) == "when_supported"
        self._error_parser = create_parser("rest-xml")

    @classmethod
    def learn(cls, client: Any, bucket: str, store_name: str) -> Optional[LeanRequests]:
        """Return the lean path for ``bucket`` on ``client``, or ``None`` if its plain requests are not SigV4 to S3.

        The client prepares a HEAD of a probe key, signed as usual; it is stopped before it is
        sent, and its URL, headers and signing scope decide.
        """
        if not all(hasattr(part, name) for part, name in (
            (getattr(client, "_endpoint", None), "http_session"),
            (getattr(client, "_request_signer", None), "_credentials"),
        )):
            return None
        probe = f"storage-lean-probe-{uuid.uuid4().hex}"

        def stop(request: Any, **_: Any) -> None:
            if request.url.endswith(f"/{probe}"):
                raise _Probed(request.url, dict(request.headers))

        event = "before-send.s3.HeadObject"
        client.meta.events.register_first(event, stop, unique_id=probe)
        try:
            client.head_object(Bucket=bucket, Key=probe)
        except _Probed as probed:
            return cls._from_probe(client, bucket, store_name, probe, probed)
        except Exception as err:
            log.debug("%s: the lean request path is off (%s)", store_name, type(err).__name__)
        finally:
            client.meta.events.unregister(event, unique_id=probe)
        return None

    @classmethod
    def _from_probe(
        cls, client: Any, bucket: str, store_name: str, probe: str, probed: _Probed
    ) -> Optional[LeanRequests]:
        names = {str(name).lower() for name in probed.headers}
        authorization = probed.headers.get("Authorization", b"")
        if isinstance(authorization, bytes):
            authorization = authorization.decode("ascii", "replace")
        if names - _PLAIN_HEADERS or not authorization.startswith(_SIGNATURE_PREFIX):
            log.debug("%s: the lean request path is off (the client's requests are not plain SigV4)", store_name)
            return None
        scope = authorization[len(_SIGNATURE_PREFIX):].split(",", 1)[0].split("/")
        region, service = scope[-3], scope[-2]
        return cls(client, bucket, probed.url[: -len(probe)], region, service, store_name)

    def url(self, key: str) -> str:
        """The URL botocore sends for ``key`` of the bucket."""
        return self._prefix + percent_encode(key, safe="/~")

    def takes(self, step: Call) -> bool:
        """Whether ``step`` is a plain request of this bucket that the lean path sends.

        A step that needs the ``full_response`` is left to the client: the lean path parses only
        the size, modification time and ETag.
        """
        params = step.params
        if step.method not in _METHODS or params.get("Bucket") != self._bucket or step.full_response:
            return False
        if step.method == "put_object":
            body = params.get("Body")
            return params.keys() == _PUT_PARAMS and isinstance(body, bytes) and len(body) <= SMALL_BODY_SIZE
        return params.keys() == _KEY_PARAMS and isinstance(params["Key"], str)

    def send(self, step: Call) -> Optional[dict[str, Any]]:
        """Send ``step`` (one that ``takes``); return the client's response shape, or ``None`` to re-issue it.

        A 404 of GET or HEAD raises the client's ``ClientError`` for it.
        """
        method, operation = _METHODS[step.method]
        try:
            response = self._sent(method, self._signed(method, step.params))
        except Exception as err:
            return self._regular_way(step, type(err).__name__)
        status = response.status_code
        if status == 404 and method in ("GET", "HEAD"):
            try:
                error = self._not_found(operation, response)
            except Exception as err:  # reading or parsing the error body failed
                return self._regular_way(step, type(err).__name__)
            raise error
        if 200 <= status < 300:
            try:
                return self._success(step, method, response)
            except Exception as err:
                _drain(response)
                return self._regular_way(step, type(err).__name__)
        _drain(response)
        return self._regular_way(step, f"HTTP {status}")

    def _signed(self, method: str, params: dict[str, Any]) -> AWSRequest:
        """The request for ``params``, signed with the credentials' current values."""
        body = params.get("Body")
        request = AWSRequest(method=method, url=self.url(params["Key"]), data=body)
        request.context["client_config"] = self._config
        if body is not None:
            request.context["has_streaming_input"] = True
            if self._put_checksum:
                checksum = Crc32Checksum()
                checksum.update(body)
                request.headers["x-amz-checksum-crc32"] = checksum.b64digest()
                request.headers["x-amz-sdk-checksum-algorithm"] = "CRC32"
                request.context["checksum"] = {"request_algorithm": {"in": "header", "name": "x-amz-checksum-crc32"}}
        elif method == "GET" and self._get_checksum:
            request.headers["x-amz-checksum-mode"] = "ENABLED"
        S3SigV4Auth(self._credentials.get_frozen_credentials(), self._service, self._region).add_auth(request)
        return request

    def _sent(self, method: str, request: AWSRequest) -> AWSResponse:
        """The response to ``request``: from the session's pool directly, as the session would send it."""
        pool = self._pool
        if pool is not None and pool.pool is None:  # closed: the session's pool manager let it go
            pool = self._pool = _direct_pool(self._session, self._prefix)
        if pool is None:  # a proxy applies
            prepared = request.prepare()
            prepared.stream_output = method == "GET"
            return self._session.send(prepared)
        raw = pool.urlopen(
            method, request.url[self._origin:], body=request.data, headers=dict(request.headers.items()),
            retries=False, assert_same_host=False, preload_content=False, decode_content=False,
        )
        response = AWSResponse(request.url, raw.status, raw.headers, raw)
        if method != "GET":
            response.content  # noqa: B018 (reading the property reads the body and frees the connection)
        return response

    def _success(self, step: Call, method: str, response: Any) -> dict[str, Any]:
        headers = response.headers
        result: dict[str, Any] = {}
        if "content-length" in headers and method != "PUT":
            result["ContentLength"] = int(headers["content-length"])
        if "etag" in headers:
            result["ETag"] = headers["etag"]
        if "last-modified" in headers:
            result["LastModified"] = parse_timestamp(headers["last-modified"])
        if method == "GET":
            result["Body"] = self._body(response)
        return result

    def _body(self, response: Any) -> StreamingBody:
        """The streaming body, checked against its checksum where botocore would check it."""
        headers = response.headers
        length = headers.get("content-length")
        if self._get_checksum:
            for algorithm in _CHECKSUM_PRIORITY:
                checksum = _CHECKSUMS.get(algorithm)
                expected = headers.get(f"x-amz-checksum-{algorithm}")
                if checksum is not None and _full_object(expected):
                    return StreamingChecksumBody(response.raw, length, checksum(), expected)
        return StreamingBody(response.raw, length)

    def _not_found(self, operation: str, response: Any) -> Exception:
        """The ``ClientError`` (of the client's own class for the code) that the client raises for this 404."""
        output = self._client.meta.service_model.operation_model(operation).output_shape
        parsed = self._error_parser.parse(
            {"status_code": response.status_code, "headers": response.headers, "body": response.content}, output
        )
        parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
        error_class = self._client.exceptions.from_code(parsed.get("Error", {}).get("Code"))
        error: Exception = error_class(parsed, operation)
        return error

    def _regular_way(self, step: Call, reason: str) -> Optional[dict[str, Any]]:
        """Log why ``step`` is to be re-issued through the client; return ``send``'s answer for that (``None``)."""
        log.debug("%s: %s %r goes the regular way (%s)", self._store_name, step.method, step.key, reason)
        return None


def _direct_pool(session: Any, url: str) -> Any:
    """The session's urllib3 pool for ``url``, set up as ``session.send`` sets it up for each request.

    None where a proxy applies or the session is not botocore's ``URLLib3Session`` as known here:
    requests then go through ``session.send``.
    """
    try:
        if session._proxy_config.proxy_url_for(url) is not None:
            return None
        pool = session._get_connection_manager(url, None).connection_from_url(url)
        session._setup_ssl_cert(pool, url, session._verify)
    except Exception as err:
        log.debug("requests of the lean path go through the HTTP session (%s)", type(err).__name__)
        return None
    return pool


def _signs_payload(config: Any, url: str) -> bool:
    """Whether SigV4 signs the SHA-256 of a PUT body sent to ``url`` (botocore's rule for S3 with a checksum)."""
    explicit = (getattr(config, "s3", None) or {}).get("payload_signing_enabled")
    return bool(explicit) if explicit is not None else not url.lower().startswith("https:")


def _full_object(checksum: Optional[str]) -> bool:
    """Whether ``checksum`` is a checksum of the whole object (one of parts ends in ``-<count>``)."""
    return checksum is not None and "-" not in checksum


def _drain(response: Any) -> None:
    """Read what is left of ``response`` so its connection returns to the pool (a failure drops it)."""
    try:
        response.content  # noqa: B018 (reading the property reads the body)
    except Exception as err:
        log.debug("could not read the rest of a response (%s)", type(err).__name__)
