"""The S3 operations as I/O-free plans, run by both the sync and the async store.

Each operation is a generator (a *plan*) that yields the requests it needs (``_steps``: a
``Call`` of a client method, a ``ReadInto`` or ``Release`` of a streamed response body) and
receives each result, or has the translated ``StoreError`` thrown in at the ``yield``.
``BucketStore`` runs the plans with boto3, ``AsyncBucketStore`` with aioboto3; the control flow
(HEAD before DELETE, aborting a failed multipart upload, telling a missing bucket from a missing
key, re-sending a GET whose body broke off) exists once, here and in ``_body``/``_multipart``.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any, Callable, NoReturn, Optional

from storage.errors import InvalidRange, ObjectNotFound, PermissionDenied, StoreError
from storage.metadata import ListResult, ObjectInfo, check_range
from storage.s3._body import get_object
from storage.s3._errors import SourceChanged, error_for_code, translate
from storage.s3._multipart import StreamingUpload, copy_in_parts, upload_in_parts
from storage.s3._plan import check_s3_key, check_s3_prefix, fits_xml, page_keys, page_prefixes
from storage.s3._settings import BucketSettings
from storage.s3._steps import Call, Plan, Step
from storage.validation import check_bytes

__all__ = ["BucketProtocol", "Runner"]

log = logging.getLogger("storage.s3")

#: Longest lifetime of a presigned URL under signature version 4 (seven days).
MAX_PRESIGN_EXPIRY = 7 * 24 * 3600


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

    def list_params(self, prefix: Any, operation: str = "keys") -> dict[str, Any]:
        """The ``ListObjectsV2`` paginator's arguments for the keys under ``prefix``."""
        prefix = check_s3_prefix(prefix, self.store_name, operation)
        params: dict[str, Any] = {"Bucket": self.bucket}
        if prefix:
            params["Prefix"] = prefix
        return params

    def call(self, method: str, operation: str, key: Optional[str] = None, **params: Any) -> Call:
        """The step calling ``client.<method>`` on this bucket (and on ``key``, if given)."""
        params = {"Bucket": self.bucket, **params}
        if key is not None:
            params["Key"] = key
        return Call(method, params, operation, key)

    # Plans --------------------------------------------------------------------------------

    def get(self, key: Any) -> Plan[bytes]:
        """GET the object at ``key`` into one buffer, re-sent if its body breaks off."""
        return (yield from get_object(self, "get", self.check_key(key, "get")))

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
            return (yield from get_object(self, "get_range", key, Range=wanted))
        except InvalidRange:
            return b""

    def delete(self, key: Any) -> Plan[None]:
        """HEAD, then DELETE the object at ``key`` (S3's DELETE succeeds on missing keys)."""
        key = self.check_key(key, "delete")
        if (yield from self._head(key, "delete")) is None:
            raise ObjectNotFound(store=self.store_name, operation="delete", key=key)
        yield self.call("delete_object", "delete", key)

    def _head(self, key: str, operation: str, full_response: bool = False) -> Plan[Optional[dict[str, Any]]]:
        """Return the HEAD response of ``key``, ``None`` if absent; ``BucketNotFound`` if the bucket is."""
        try:
            head: dict[str, Any] = yield Call(
                "head_object", {"Bucket": self.bucket, "Key": key}, operation, key, full_response=full_response
            )
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
            yield self.call("put_object", "put", key, Body=body, **condition)
            return
        yield from upload_in_parts(self, key, view, condition)

    def copy(self, source: Any, target: Any, operation: str = "copy") -> Plan[None]:
        """Copy ``source`` to ``target`` on the server: CopyObject, or UploadPartCopy parts above the threshold.

        A HEAD of the source comes first: it tells a missing source (``ObjectNotFound`` naming it)
        and gives the size that picks one request or parts. No data passes through the client.
        Copying a key to itself only checks that it exists. A source replaced while it is copied
        in parts is copied again once, from a new HEAD; ``SourceChanged`` if it changes again.
        """
        source = self.check_key(source, operation)
        target = self.check_key(target, operation)
        try:
            yield from self._copy(source, target, operation)
        except SourceChanged as err:
            log.info("%s: %s %r: %s; copying it again", self.store_name, operation, source, err)
            yield from self._copy(source, target, operation)

    def _copy(self, source: str, target: str, operation: str) -> Plan[None]:
        head = yield from self._head(source, operation, full_response=True)
        if head is None:
            raise ObjectNotFound(store=self.store_name, operation=operation, key=source)
        if source == target:  # S3 refuses to copy an object onto itself unchanged
            return
        if int(head["ContentLength"]) > self.settings.multipart_copy_threshold:
            yield from copy_in_parts(self, operation, source, target, head)
            return
        try:
            yield self.call("copy_object", operation, target, CopySource={"Bucket": self.bucket, "Key": source})
        except ObjectNotFound as err:
            raise ObjectNotFound(
                "the source vanished during the copy", store=self.store_name, operation=operation, key=source
            ) from err

    def rename(self, source: Any, target: Any) -> Plan[None]:
        """Copy ``source`` to ``target`` on the server, then delete ``source`` (S3 has no atomic rename).

        Renaming a key to itself only checks that it exists.
        """
        yield from self.copy(source, target, "rename")
        if source != target:
            yield self.call("delete_object", "rename", source)

    def list_dir(self, prefix: Any) -> Plan[ListResult]:
        """List the immediate children of ``prefix`` with ``Delimiter='/'``, page after page."""
        params = {**self.list_params(prefix, "list_dir"), "Delimiter": "/"}
        keys: list[str] = []
        prefixes: list[str] = []
        while True:
            page = yield Call("list_objects_v2", params, "list_dir", params.get("Prefix"))
            keys.extend(page_keys(page))
            prefixes.extend(page_prefixes(page))
            if not page.get("IsTruncated"):
                return ListResult(sorted(keys), sorted(prefixes))
            params = {**params, "ContinuationToken": page["NextContinuationToken"]}

    def open_read(self, key: Any) -> Plan[tuple[str, Any]]:
        """GET ``key`` and return it with its (unread) streaming body; ``ObjectNotFound`` now if absent."""
        key = self.check_key(key, "open_read")
        response = yield self.call("get_object", "open_read", key)
        return key, response["Body"]

    def open_write(self, key: Any) -> StreamingUpload:
        """The state of a new streaming upload to ``key`` (no request is sent before the first full part)."""
        return StreamingUpload(self.check_key(key, "open_write"), self.settings.multipart_threshold)

    def delete_batch(self, keys: list[str]) -> Plan[dict[str, StoreError]]:
        """Delete up to 1,000 checked keys; return the errors of the keys that failed.

        One DeleteObjects request takes the keys that XML carries unchanged; each other key (one
        holding a control character or a carriage return) is deleted with a DeleteObject of its own.
        """
        failed: dict[str, StoreError] = {}
        listed = [key for key in keys if fits_xml(key)]
        alone = [key for key in keys if not fits_xml(key)]
        if listed:
            objects = [{"Key": key} for key in listed]
            try:
                response = yield self.call("delete_objects", "delete_many", Delete={"Objects": objects, "Quiet": True})
            except StoreError as err:
                failed.update(dict.fromkeys(listed, err))
            else:
                for entry in response.get("Errors", ()):
                    failed[entry["Key"]] = error_for_code(
                        str(entry.get("Code", "")), str(entry.get("Message", "")), bucket=self.bucket,
                        where={"store": self.store_name, "operation": "delete_many", "key": entry["Key"]},
                    )
        for key in alone:
            try:
                yield self.call("delete_object", "delete_many", key)
            except StoreError as err:
                failed[key] = err
        return failed

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
