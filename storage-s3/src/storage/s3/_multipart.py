"""Multipart plans: uploads of one buffer, server-side copies in parts, and streaming uploads.

Every plan that starts a multipart upload aborts it if anything fails before completion
(including cancellation), so no parts are left behind in the bucket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from storage.errors import (
    AlreadyExists,
    ObjectNotFound,
    PermissionDenied,
    StoreClosed,
    StoreError,
    UnsupportedOperation,
)
from storage.s3._errors import SourceChanged
from storage.s3._plan import MAX_PARTS, MIN_PART_SIZE, part_ranges, tagging_header
from storage.s3._steps import Plan
from storage.validation import check_bytes

if TYPE_CHECKING:
    from storage.s3._protocol import BucketProtocol

__all__ = [
    "StreamingUpload", "UploadHandle", "abandon_stream", "copy_in_parts", "discard_stream", "finish_stream",
    "streaming_part_size", "upload_in_parts", "write_stream",
]

log = logging.getLogger("storage.s3")

#: A streaming upload doubles its part size after every this many parts.
PARTS_PER_SIZE = 2000
#: The operation named in the errors of a streaming upload.
STREAM_OPERATION = "open_write"

#: Given the upload id, the plans uploading each part in order, each returning its entry for completion.
PartPlans = Callable[[str], Iterator[Plan[dict[str, Any]]]]


def _part_entry(number: int, result: dict[str, Any]) -> dict[str, Any]:
    checksums = {name: value for name, value in result.items() if name.startswith("ChecksumCRC")}
    return {"ETag": result["ETag"], "PartNumber": number, **checksums}


def _upload_part(
    protocol: BucketProtocol, operation: str, key: str, upload_id: str, number: int, body: bytes
) -> Plan[dict[str, Any]]:
    result = yield protocol.call("upload_part", operation, key, UploadId=upload_id, PartNumber=number, Body=body)
    return _part_entry(number, result)


def _complete(
    protocol: BucketProtocol,
    operation: str,
    key: str,
    upload_id: str,
    parts: list[dict[str, Any]],
    condition: dict[str, str],
) -> Plan[None]:
    yield protocol.call(
        "complete_multipart_upload", operation, key, UploadId=upload_id, MultipartUpload={"Parts": parts},
        **condition,
    )


def _abort(protocol: BucketProtocol, operation: str, key: str, upload_id: str) -> Plan[None]:
    try:
        yield protocol.call("abort_multipart_upload", operation, key, UploadId=upload_id)
    except StoreError as err:
        log.warning("%s: could not abort the multipart upload of %r: %s", protocol.store_name, key, err)


def _multipart(
    protocol: BucketProtocol,
    operation: str,
    key: str,
    parts: PartPlans,
    condition: dict[str, str],
    create: dict[str, Any],
) -> Plan[None]:
    """Create an upload, run each part's plan, complete it; abort on any failure."""
    created = yield protocol.call("create_multipart_upload", operation, key, **create)
    upload_id = created["UploadId"]
    try:
        done = []
        for plan in parts(upload_id):
            done.append((yield from plan))
        yield from _complete(protocol, operation, key, upload_id, done, condition)
    except GeneratorExit:
        raise
    except BaseException:
        yield from _abort(protocol, operation, key, upload_id)
        raise


def upload_in_parts(protocol: BucketProtocol, key: str, view: memoryview, condition: dict[str, str]) -> Plan[None]:
    """Upload ``view`` to ``key`` in parts of ``multipart_threshold`` bytes (at least 5 MiB)."""

    def parts(upload_id: str) -> Iterator[Plan[dict[str, Any]]]:
        for number, (start, end) in enumerate(part_ranges(view.nbytes, protocol.settings.multipart_threshold), 1):
            yield _upload_part(protocol, "put", key, upload_id, number, view[start:end].tobytes())

    yield from _multipart(protocol, "put", key, parts, condition, {})


#: What CopyObject carries over from the source's HEAD, and a copy in parts therefore sets on its upload
#: (CopyObject also keeps the tags, which a HEAD does not show: ``_source_tagging`` reads them).
_COPIED_FIELDS = (
    "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ContentType", "Expires", "Metadata",
)


def _source_tagging(protocol: BucketProtocol, operation: str, source: str) -> Plan[dict[str, str]]:
    """Return the ``Tagging`` argument giving an upload the tags of ``source``; ``{}`` if it has none.

    A source whose tags cannot be read (access to GetObjectTagging denied, or a server that does
    not implement it) counts as untagged, with a warning: the copy goes ahead without tags.
    """
    try:
        response = yield protocol.call("get_object_tagging", operation, source)
    except (PermissionDenied, UnsupportedOperation) as err:
        log.warning("%s: %s %r: cannot read the tags of the source, so the copy has none: %s",
                    protocol.store_name, operation, source, err)
        return {}
    except ObjectNotFound as err:
        raise ObjectNotFound("the source vanished during the copy", store=protocol.store_name, operation=operation,
                             key=source) from err
    tagging = tagging_header(response.get("TagSet") or ())
    return {"Tagging": tagging} if tagging else {}


def copy_in_parts(
    protocol: BucketProtocol, operation: str, source: str, target: str, head: dict[str, Any]
) -> Plan[None]:
    """Copy ``source`` (described by its HEAD response) to ``target`` with UploadPartCopy requests.

    Parts are ``multipart_copy_threshold`` bytes (at least 5 MiB). The headers, user metadata
    and tags that CopyObject keeps are carried over (the tags only if they can be read, see
    ``_source_tagging``). Every part is copied only from the version the HEAD saw
    (``CopySourceIfMatch`` its ETag), so the target never mixes two versions: a source replaced
    meanwhile aborts the upload with ``SourceChanged``, and the tags, read after the HEAD, are
    those of the version copied or of a later one that has the same content.
    """
    size = int(head["ContentLength"])
    create = {name: head[name] for name in _COPIED_FIELDS if head.get(name)}
    create.update((yield from _source_tagging(protocol, operation, source)))
    condition = {"CopySourceIfMatch": head["ETag"]} if head.get("ETag") else {}
    where = {"store": protocol.store_name, "operation": operation, "key": source}

    def copy_part(upload_id: str, number: int, start: int, end: int) -> Plan[dict[str, Any]]:
        try:
            result = yield protocol.call(
                "upload_part_copy", operation, target, UploadId=upload_id, PartNumber=number,
                CopySource={"Bucket": protocol.bucket, "Key": source}, CopySourceRange=f"bytes={start}-{end - 1}",
                **condition,
            )
        except AlreadyExists as err:  # 412 Precondition Failed: the source's ETag is no longer the HEAD's
            raise SourceChanged("the source changed during the copy", **where) from err
        except ObjectNotFound as err:
            raise ObjectNotFound("the source vanished during the copy", **where) from err
        return _part_entry(number, result["CopyPartResult"])

    def parts(upload_id: str) -> Iterator[Plan[dict[str, Any]]]:
        for number, (start, end) in enumerate(part_ranges(size, protocol.settings.multipart_copy_threshold), 1):
            yield copy_part(upload_id, number, start, end)

    yield from _multipart(protocol, operation, target, parts, {}, create)


# Streaming uploads (open_write) -------------------------------------------------------------


def streaming_part_size(base: int, number: int) -> int:
    """The size of part ``number`` of a streaming upload whose first parts hold ``base`` bytes.

    The size doubles every ``PARTS_PER_SIZE`` parts, so the 10,000 parts S3 allows hold 31 times
    what the first 2,000 do (with 8 MiB parts: about 500 GiB).
    """
    size: int = max(base, MIN_PART_SIZE) << ((number - 1) // PARTS_PER_SIZE)
    return size


@dataclass
class StreamingUpload:
    """The state of one ``open_write`` stream: bytes not yet sent, and the upload's parts so far."""

    key: str
    part_size: int
    buffer: bytearray = field(default_factory=bytearray, repr=False)
    upload_id: Optional[str] = None
    parts: list[dict[str, Any]] = field(default_factory=list, repr=False)
    finished: bool = False
    #: Set when the store's ``close()`` discarded the stream: using it then raises ``StoreClosed``.
    abandoned: bool = False
    #: How many bytes were written to the stream.
    written: int = 0

    @property
    def next_part_size(self) -> int:
        """How many bytes the next part takes."""
        return streaming_part_size(self.part_size, len(self.parts) + 1)


def _failing(protocol: BucketProtocol, upload: StreamingUpload, plan: Plan[Any]) -> Plan[Any]:
    """Run ``plan``; if it fails, abort the upload and mark the stream finished."""
    try:
        return (yield from plan)
    except GeneratorExit:
        raise
    except BaseException:
        yield from discard_stream(protocol, upload)
        raise


def _check_abandoned(protocol: BucketProtocol, upload: StreamingUpload) -> None:
    """Raise ``StoreClosed`` if the store's ``close()`` discarded the stream."""
    if upload.abandoned:
        raise StoreClosed("the store was closed before the stream was, so nothing was stored",
                          store=protocol.store_name, operation=STREAM_OPERATION, key=upload.key)


def _check_writable(protocol: BucketProtocol, upload: StreamingUpload) -> None:
    _check_abandoned(protocol, upload)
    if upload.finished:
        raise ValueError(f"{protocol.store_name}: the stream writing {upload.key!r} is closed")


def _send_part(protocol: BucketProtocol, upload: StreamingUpload, size: int) -> Plan[None]:
    if upload.upload_id is None:
        created = yield protocol.call("create_multipart_upload", STREAM_OPERATION, upload.key)
        upload.upload_id = created["UploadId"]
    if len(upload.parts) >= MAX_PARTS:
        raise StoreError(f"more than {MAX_PARTS} parts", store=protocol.store_name, operation=STREAM_OPERATION,
                         key=upload.key)
    body = bytes(upload.buffer[:size])
    del upload.buffer[:size]
    number = len(upload.parts) + 1
    part = yield from _upload_part(protocol, STREAM_OPERATION, upload.key, upload.upload_id, number, body)
    upload.parts.append(part)


def write_stream(protocol: BucketProtocol, upload: StreamingUpload, data: Any) -> Plan[int]:
    """Buffer ``data``; send a part each time more than a part's worth is buffered."""
    _check_writable(protocol, upload)
    view = check_bytes(data, protocol.store_name, upload.key)
    upload.buffer += view
    upload.written += view.nbytes

    def send_full_parts() -> Plan[None]:
        while len(upload.buffer) > upload.next_part_size:
            yield from _send_part(protocol, upload, upload.next_part_size)

    yield from _failing(protocol, upload, send_full_parts())
    return view.nbytes


def finish_stream(protocol: BucketProtocol, upload: StreamingUpload) -> Plan[None]:
    """Store what was written: one PutObject if no part was sent yet, else the last part and completion."""
    _check_abandoned(protocol, upload)
    if upload.finished:
        return
    upload.finished = True
    if upload.upload_id is None:
        body = bytes(upload.buffer)
        upload.buffer = bytearray()
        yield protocol.call("put_object", STREAM_OPERATION, upload.key, Body=body)
        return

    def complete(upload_id: str) -> Plan[None]:
        if upload.buffer:
            yield from _send_part(protocol, upload, len(upload.buffer))
        yield from _complete(protocol, STREAM_OPERATION, upload.key, upload_id, upload.parts, {})
        upload.upload_id = None

    yield from _failing(protocol, upload, complete(upload.upload_id))


def discard_stream(protocol: BucketProtocol, upload: StreamingUpload) -> Plan[None]:
    """Drop what was written and abort the upload if one was started; nothing is stored."""
    upload.finished = True
    upload.buffer = bytearray()
    upload_id, upload.upload_id = upload.upload_id, None
    if upload_id is not None:
        yield from _abort(protocol, STREAM_OPERATION, upload.key, upload_id)


def abandon_stream(protocol: BucketProtocol, upload: StreamingUpload) -> Plan[None]:
    """Discard the stream, unless it is finished, because its store is closing; using it raises ``StoreClosed``."""
    if upload.finished:
        return
    upload.abandoned = True
    yield from discard_stream(protocol, upload)


class UploadHandle:
    """What the sync and async upload writers hold: the store's plan runner, its protocol, the upload.

    The store keeps a weak reference to each handle, to discard those still open when it closes.
    """

    def __init__(self, run: Callable[[Plan[Any]], Any], protocol: BucketProtocol, upload: StreamingUpload) -> None:
        self._run = run
        self._protocol = protocol
        self._upload = upload

    @property
    def closed(self) -> bool:
        """Whether the stream was closed or discarded (also by the store's ``close()``)."""
        return self._upload.finished

    def _check_abandoned(self) -> None:
        """Raise ``StoreClosed`` if the store's ``close()`` discarded the stream."""
        _check_abandoned(self._protocol, self._upload)

    def _abandon(self) -> Plan[None]:
        """The plan discarding the stream, unless it is finished, for the closing store."""
        return abandon_stream(self._protocol, self._upload)

    def tell(self) -> int:
        """How many bytes were written so far."""
        _check_writable(self._protocol, self._upload)
        return self._upload.written
