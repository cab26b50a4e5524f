"""The S3 operations as I/O-free plans, run by both the sync and the async store.

Each operation is a generator (a *plan*) that yields the requests it needs — a ``Call`` of a
client method or a ``ReadBody`` of a streamed response — and receives each result, or has the
translated ``StoreError`` thrown in at the ``yield``. ``BucketStore`` runs the plans with boto3,
``AsyncBucketStore`` with aioboto3; the control flow (HEAD before DELETE, aborting a failed
multipart upload, telling a missing bucket from a missing key) exists once, here.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, NoReturn, Optional, TypeVar, Union

from storage.errors import InvalidRange, ObjectNotFound, PermissionDenied, StoreError
from storage.metadata import ObjectInfo, check_range
from storage.s3._errors import error_for_code, translate
from storage.s3._plan import check_s3_key, check_s3_prefix, part_ranges
from storage.s3._settings import BucketSettings
from storage.validation import check_bytes

__all__ = ["BucketProtocol", "Call", "Plan", "ReadBody", "Runner", "Step"]

T = TypeVar("T")

log = logging.getLogger("storage.s3")

#: Longest lifetime of a presigned URL under signature version 4 (seven days).
MAX_PRESIGN_EXPIRY = 7 * 24 * 3600


@dataclass(frozen=True)
class Call:
    """Call ``client.<method>(**params)`` on behalf of ``operation`` on ``key``."""

    method: str
    params: dict[str, Any] = field(repr=False)
    operation: str
    key: Optional[str] = None
    bucket_call: bool = False


@dataclass(frozen=True)
class ReadBody:
    """Read a response's streaming body to the end, then release it."""

    body: Any = field(repr=False)
    operation: str
    key: Optional[str] = None


Step = Union[Call, ReadBody]
Plan = Generator[Step, Any, T]


class Runner:
    """Steps through a plan; the store executes ``step`` and reports its result or error.

    When the plan finishes, ``done`` is set and ``value`` holds its result; an error that the
    plan does not handle propagates from ``settle``.
    """

    def __init__(self, protocol: BucketProtocol, plan: Plan[Any]) -> None:
        self._protocol = protocol
        self._plan = plan
        self._step: Optional[Step] = None
        self.done = False
        self.value: Any = None
        self._advance(lambda: next(plan))

    @property
    def step(self) -> Step:
        """The request the plan is waiting for."""
        assert self._step is not None, "the plan has finished"
        return self._step

    def _advance(self, resume: Callable[[], Step]) -> None:
        try:
            self._step = resume()
        except StopIteration as stop:
            self._step = None
            self.done = True
            self.value = stop.value

    def settle(self, result: Any, error: Optional[BaseException] = None) -> None:
        """Hand the plan the result of ``step``, or throw in its (translated) ``error``."""
        if error is None:
            self._advance(lambda: self._plan.send(result))
        else:
            translated = self._protocol.translate(error, self.step)
            self._advance(lambda: self._plan.throw(translated))


class BucketProtocol:
    """The plans of every operation on one bucket, and the translation of their errors."""

    def __init__(self, settings: BucketSettings, store_name: str) -> None:
        self.settings = settings
        self.store_name = store_name
        self.bucket = settings.bucket_name
        #: Set once a HEAD of the bucket succeeded, so a later 404 can only mean a missing key.
        self.bucket_confirmed = False

    # Errors -------------------------------------------------------------------------------

    def translate(self, error: BaseException, step: Step) -> BaseException:
        """Return the ``storage.errors`` type for ``error`` raised by ``step``."""
        return translate(
            error, store=self.store_name, bucket=self.bucket, operation=step.operation, key=step.key,
            bucket_call=isinstance(step, Call) and step.bucket_call,
        )

    def reraise(self, error: BaseException, operation: str, key: Optional[str] = None) -> NoReturn:
        """Raise the translation of ``error``, chained to it."""
        translated = translate(error, store=self.store_name, bucket=self.bucket, operation=operation, key=key)
        if translated is error:
            raise error
        raise translated from error

    # Keys ---------------------------------------------------------------------------------

    def check_key(self, key: Any, operation: str) -> str:
        """Return ``key`` if S3 can store it, else raise ``InvalidKey``."""
        return check_s3_key(key, self.store_name, operation)

    def list_params(self, prefix: Any) -> dict[str, Any]:
        """The ``ListObjectsV2`` paginator's arguments for the keys under ``prefix``."""
        prefix = check_s3_prefix(prefix, self.store_name)
        params: dict[str, Any] = {"Bucket": self.bucket}
        if prefix:
            params["Prefix"] = prefix
        return params

    def _call(self, method: str, operation: str, key: Optional[str] = None, **params: Any) -> Call:
        params = {"Bucket": self.bucket, **params}
        if key is not None:
            params["Key"] = key
        return Call(method, params, operation, key)

    # Plans --------------------------------------------------------------------------------

    def get(self, key: Any) -> Plan[bytes]:
        """GET the object at ``key``."""
        key = self.check_key(key, "get")
        response = yield self._call("get_object", "get", key)
        data: bytes = yield ReadBody(response["Body"], "get", key)
        return data

    def exists(self, key: Any) -> Plan[bool]:
        """HEAD the object at ``key``."""
        return (yield from self._head(self.check_key(key, "exists"), "exists")) is not None

    def stat(self, key: Any) -> Plan[ObjectInfo]:
        """HEAD the object at ``key`` for its size, modification time and ETag."""
        key = self.check_key(key, "stat")
        head = yield from self._head(key, "stat")
        if head is None:
            raise ObjectNotFound(store=self.store_name, operation="stat", key=key)
        modified = head.get("LastModified")
        return ObjectInfo(
            key, int(head["ContentLength"]),
            modified.astimezone(datetime.timezone.utc) if modified is not None else None,
            str(head["ETag"]).strip('"') if head.get("ETag") else None,
        )

    def get_range(self, key: Any, start: Any, end: Any) -> Plan[bytes]:
        """GET bytes ``[start:end)`` of the object with a ``Range`` header (slicing semantics)."""
        key = self.check_key(key, "get_range")
        start, end = check_range(start, end, self.store_name, key)
        if end == start:
            if (yield from self._head(key, "get_range")) is None:
                raise ObjectNotFound(store=self.store_name, operation="get_range", key=key)
            return b""
        wanted = f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"
        try:
            response = yield self._call("get_object", "get_range", key, Range=wanted)
        except InvalidRange:
            return b""
        data: bytes = yield ReadBody(response["Body"], "get_range", key)
        return data

    def delete(self, key: Any) -> Plan[None]:
        """HEAD, then DELETE the object at ``key`` (S3's DELETE succeeds on missing keys)."""
        key = self.check_key(key, "delete")
        if (yield from self._head(key, "delete")) is None:
            raise ObjectNotFound(store=self.store_name, operation="delete", key=key)
        yield self._call("delete_object", "delete", key)

    def _head(self, key: str, operation: str) -> Plan[Optional[dict[str, Any]]]:
        """Return the HEAD response of ``key``, ``None`` if absent; ``BucketNotFound`` if the bucket is."""
        try:
            head: dict[str, Any] = yield self._call("head_object", operation, key)
        except ObjectNotFound:
            yield from self._confirm_bucket(operation, key)
            return None
        return head

    def _confirm_bucket(self, operation: str, key: str) -> Plan[None]:
        """Raise ``BucketNotFound`` if the bucket is missing (a HEAD 404 does not tell)."""
        if self.bucket_confirmed:
            return
        try:
            yield Call("head_bucket", {"Bucket": self.bucket}, operation, key, bucket_call=True)
        except PermissionDenied:
            log.debug("%s: cannot HEAD the bucket; assuming it exists", self.store_name)
        self.bucket_confirmed = True

    def put(self, key: Any, data: Any, if_absent: bool = False) -> Plan[None]:
        """PUT ``data`` at ``key``, in parts above the multipart threshold.

        With ``if_absent`` the write carries ``If-None-Match: *``, so S3 itself refuses to
        replace an object (``AlreadyExists``).
        """
        key = self.check_key(key, "put")
        view = check_bytes(data, self.store_name, key)
        condition = {"IfNoneMatch": "*"} if if_absent else {}
        if view.nbytes <= self.settings.multipart_threshold:
            body = data if isinstance(data, bytes) else view.tobytes()
            yield self._call("put_object", "put", key, Body=body, **condition)
            return
        yield from self._put_multipart(key, view, condition)

    def _put_multipart(self, key: str, view: memoryview, condition: dict[str, str]) -> Plan[None]:
        created = yield self._call("create_multipart_upload", "put", key)
        upload_id = created["UploadId"]
        try:
            parts = []
            for number, (start, end) in enumerate(part_ranges(view.nbytes, self.settings.multipart_threshold), 1):
                uploaded = yield self._call(
                    "upload_part", "put", key, UploadId=upload_id, PartNumber=number, Body=view[start:end].tobytes()
                )
                checksums = {name: value for name, value in uploaded.items() if name.startswith("ChecksumCRC")}
                parts.append({"ETag": uploaded["ETag"], "PartNumber": number, **checksums})
            yield self._call(
                "complete_multipart_upload", "put", key, UploadId=upload_id, MultipartUpload={"Parts": parts},
                **condition,
            )
        except GeneratorExit:
            raise
        except BaseException:
            yield from self._abort(key, upload_id)
            raise

    def _abort(self, key: str, upload_id: str) -> Plan[None]:
        try:
            yield self._call("abort_multipart_upload", "put", key, UploadId=upload_id)
        except StoreError as err:
            log.warning("%s: could not abort the multipart upload of %r: %s", self.store_name, key, err)

    def delete_batch(self, keys: list[str]) -> Plan[dict[str, StoreError]]:
        """DeleteObjects for up to 1,000 checked keys; return the errors of the keys that failed."""
        objects = [{"Key": key} for key in keys]
        response = yield self._call("delete_objects", "delete_many", Delete={"Objects": objects, "Quiet": True})
        return {
            entry["Key"]: error_for_code(
                str(entry.get("Code", "")), str(entry.get("Message", "")), bucket=self.bucket,
                where={"store": self.store_name, "operation": "delete_many", "key": entry["Key"]},
            )
            for entry in response.get("Errors", ())
        }

    def presign(self, client_method: str, operation: str, key: Any, expiry: Any) -> Plan[str]:
        """Build a presigned URL for ``client_method`` on ``key``, valid for ``expiry`` seconds."""
        key = self.check_key(key, operation)
        if isinstance(expiry, bool) or not isinstance(expiry, int) or not 0 < expiry <= MAX_PRESIGN_EXPIRY:
            raise ValueError(f"expiry must be an integer from 1 to {MAX_PRESIGN_EXPIRY} seconds, not {expiry!r}")
        url: str = yield Call(
            "generate_presigned_url",
            {"ClientMethod": client_method, "Params": {"Bucket": self.bucket, "Key": key}, "ExpiresIn": expiry},
            operation,
            key,
        )
        return url
