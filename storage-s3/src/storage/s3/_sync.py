"""``BucketStore``: an S3 bucket as a synchronous store, on boto3."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, BinaryIO, Callable, ClassVar, Iterable, Iterator, Optional, Sequence, TypeVar, cast

import boto3
import botocore.session

from storage.errors import StoreError
from storage.metadata import ListResult, ObjectInfo
from storage.object import ObjectStore
from storage.s3 import _batch
from storage.s3._client import SMALL_BODY_SIZE, expect_header_remover, trim_endpoint_parameters, tune_session
from storage.s3._common import LISTING_BEGUN, BucketStoreMixin
from storage.s3._lean import LeanRequests
from storage.s3._plan import batches, page_keys
from storage.s3._protocol import Runner
from storage.s3._settings import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MULTIPART_COPY_THRESHOLD,
    DEFAULT_MULTIPART_THRESHOLD,
    BotocoreConfig,
    BucketSettings,
    pick_endpoint,
)
from storage.s3._steps import Call, Plan, ReadInto, Step
from storage.s3._streams import BodyReader, UploadWriter

__all__ = ["BucketStore"]

A = TypeVar("A")
T = TypeVar("T")


class BucketStore(BucketStoreMixin, ObjectStore):
    """The objects of one S3 (or S3-compatible) bucket; key ``a/b`` is the object ``a/b``.

    Arguments follow the seed: ``s3_url`` (or ``endpoint_url``), ``s3_access_key``,
    ``s3_secret_key``, ``bucket_name`` and ``botocore_config_kwargs`` (a mapping of
    ``botocore.config.Config`` options such as ``retries``, ``connect_timeout``,
    ``read_timeout``, ``s3={"addressing_style": "path"}``, ``max_pool_connections``; a
    ``Config`` is accepted too). Without keys, boto3's credential chain applies. Objects above
    ``multipart_threshold`` bytes are uploaded in parts; batch operations keep up to
    ``max_concurrency`` requests in flight. Pass ``s3_client`` to use a client of your own.

    With the client it creates itself, the store sends the plain GET, HEAD, PUT (up to 1 MiB)
    and DELETE of one key on a lean path (``storage.s3._lean``): signed by botocore's SigV4
    signer and sent over the client's HTTP session, but without botocore's event pipeline, so
    event handlers registered on ``store.s3_client`` do not see them; any answer but a plain
    success or a 404 is re-sent through the client. A client passed as ``s3_client`` sends
    every request through botocore. ``AsyncBucketStore`` (aioboto3) has no lean path.
    """

    _transient_attrs: ClassVar[tuple[str, ...]] = (*BucketStoreMixin._transient_attrs, "_lean")
    _lean: Optional[LeanRequests] = None

    def __init__(
        self,
        s3_url: Optional[str] = None,
        s3_access_key: Optional[str] = None,
        s3_secret_key: Optional[str] = None,
        bucket_name: Optional[str] = None,
        botocore_config_kwargs: BotocoreConfig = None,
        *,
        endpoint_url: Optional[str] = None,
        region_name: Optional[str] = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        multipart_copy_threshold: int = DEFAULT_MULTIPART_COPY_THRESHOLD,
        s3_client: Any = None,
    ) -> None:
        settings = BucketSettings.create(
            bucket_name=bucket_name, endpoint_url=pick_endpoint(s3_url, endpoint_url),
            s3_access_key=s3_access_key, s3_secret_key=s3_secret_key, botocore_config=botocore_config_kwargs,
            region_name=region_name, multipart_threshold=multipart_threshold, max_concurrency=max_concurrency,
            multipart_copy_threshold=multipart_copy_threshold,
            config_name="botocore_config_kwargs",
        )
        self._configure(settings, s3_client)

    # Lifecycle ----------------------------------------------------------------------------

    def _open(self) -> None:
        if self.s3_client is None:
            core = tune_session(botocore.session.get_session())
            session = boto3.session.Session(botocore_session=core)
            try:
                client = self._adopt(session.client("s3", **self.settings.client_kwargs()))
            except Exception as err:
                self._protocol.reraise(err, "open")
            trim_endpoint_parameters(client, core)
            client.meta.events.register("before-send.s3", expect_header_remover(SMALL_BODY_SIZE))
            self._lean = LeanRequests.learn(client, self.settings.bucket_name, self.store_name)

    def _close(self) -> None:
        try:
            self._drive(self._end_session())
        finally:
            self._lean = None
            client = self._release()
            if client is not None:
                client.close()

    # Running plans ------------------------------------------------------------------------

    def _execute(self, step: Step) -> Any:
        if isinstance(step, Call):
            lean = self._lean
            if lean is not None and self.s3_client is self._owned_client and lean.takes(step):
                response = lean.send(step)
                if response is not None:
                    return response
            return getattr(self.s3_client, step.method)(**step.params)
        if isinstance(step, ReadInto):
            return step.body.readinto(step.buffer)
        return step.body.close()

    def _run(self, operation: str, plan: Plan[T]) -> T:
        self._ensure_open(operation)
        return self._drive(plan)

    def _drive(self, plan: Plan[T]) -> T:
        runner = Runner(self._protocol, plan)
        while not runner.done:
            runner.settle(*self._attempt(runner.step))
        value: T = runner.value
        return value

    def _attempt(self, step: Step) -> tuple[Any, Optional[BaseException]]:
        try:
            return self._execute(step), None
        except BaseException as err:
            return None, err

    def _fan_out(self, function: Callable[[A], T], args: list[A]) -> list[_batch.Outcome[T]]:
        def settle(arg: A) -> _batch.Outcome[T]:
            try:
                return function(arg)
            except StoreError as err:
                return err

        if len(args) <= 1:
            return [settle(arg) for arg in args]
        with ThreadPoolExecutor(max_workers=min(self.settings.max_concurrency, len(args))) as pool:
            return list(pool.map(settle, args))

    # Operations ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        """Return the object at ``key`` (read into one preallocated buffer); ``ObjectNotFound`` if absent.

        A body that breaks off while it is read is fetched again, up to the configured attempts.
        """
        return self._run("get", self._protocol.get(key))

    def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` (bytes-like) at ``key``, in parts above ``multipart_threshold``.

        With ``if_absent=True`` S3 refuses to replace an object (``AlreadyExists``).
        """
        self._run("put", self._protocol.put(key, data, if_absent))

    def exists(self, key: str) -> bool:
        """Return whether an object is stored at ``key`` (a HEAD request)."""
        return self._run("exists", self._protocol.exists(key))

    def stat(self, key: str) -> ObjectInfo:
        """Return the size, modification time and ETag of ``key`` (a HEAD request)."""
        return self._run("stat", self._protocol.stat(key))

    def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the object, fetched with a ``Range`` request."""
        return self._run("get_range", self._protocol.get_range(key, start, end))

    def delete(self, key: str) -> None:
        """Remove the object at ``key``; ``ObjectNotFound`` if there is none."""
        self._run("delete", self._protocol.delete(key))

    def copy(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` on the server (CopyObject, or parts above ``multipart_copy_threshold``)."""
        self._run("copy", self._protocol.copy(source, target))

    def rename(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` on the server, then delete ``source`` (not atomic: S3 has no rename)."""
        self._run("rename", self._protocol.rename(source, target))

    def list_dir(self, prefix: str = "") -> ListResult:
        """Return the keys and ``/``-ending prefixes directly under ``prefix`` (ListObjectsV2 with a delimiter)."""
        return self._run("list_dir", self._protocol.list_dir(prefix))

    def open_read(self, key: str) -> BinaryIO:
        """Return a binary file streaming the object's body; ``ObjectNotFound`` now if absent.

        Reading it after the store is closed raises ``StoreClosed`` (and releases its connection).
        """
        session_check = self._session_check("open_read", key)  # before the GET: a close during it counts
        checked, body = self._run("open_read", self._protocol.open_read(key))
        return cast(BinaryIO, BodyReader(body, self._protocol, checked, session_check))

    def open_write(self, key: str) -> BinaryIO:
        """Return a binary file streaming into a multipart upload; the object appears on ``close()``.

        Parts of ``multipart_threshold`` bytes (at least 5 MiB) are sent as they fill; an object
        that stays smaller is sent with one PutObject. Leaving a ``with`` block by an exception,
        or ``discard()``, aborts the upload: nothing is stored and no parts remain. So does closing
        the store while the writer is open; its ``write`` and ``close`` then raise ``StoreClosed``.
        """
        upload = self._protocol.open_write(key)
        self._ensure_open("open_write")
        return cast(BinaryIO, self._track(UploadWriter(partial(self._run, "open_write"), self._protocol, upload)))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Iterate over the keys under ``prefix``, fetching each page of 1,000 only when needed.

        ``StoreClosed`` if the store was closed (even if opened again) before a page is fetched.
        """
        params = self._protocol.list_params(prefix)
        self._ensure_open("keys")
        return self._iter_keys(params, self._session_check("keys", params.get("Prefix"), LISTING_BEGUN))

    def _iter_keys(self, params: dict[str, Any], session_check: Callable[[], None]) -> Iterator[str]:
        try:
            session_check()
            for page in self.s3_client.get_paginator("list_objects_v2").paginate(**params):
                yield from page_keys(page)
                session_check()
        except Exception as err:
            self._protocol.reraise(err, "keys", params.get("Prefix"))

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Return ``{key: object}`` for the keys that hold one, fetched concurrently."""
        wanted = _batch.checked_keys(self._protocol, keys, "get_many")
        self._ensure_open("get_many")
        return _batch.found(self.store_name, wanted, self._fan_out(self.get, wanted))

    def put_many(self, items: _batch.Items) -> None:
        """Store every ``(key, value)`` pair, concurrently; ``PartialFailure`` names failed keys."""
        pairs = _batch.checked_items(self._protocol, items)
        self._ensure_open("put_many")
        outcomes = self._fan_out(lambda pair: self.put(*pair), pairs)
        _batch.stored(self.store_name, [key for key, _ in pairs], outcomes)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove the keys with DeleteObjects, 1,000 a request; absent keys are skipped."""
        key_batches = list(batches(_batch.checked_keys(self._protocol, keys, "delete_many")))
        self._ensure_open("delete_many")
        _batch.deleted(self.store_name, key_batches, self._fan_out(self._delete_batch, key_batches))

    def _delete_batch(self, keys: Sequence[str]) -> dict[str, StoreError]:
        return self._run("delete_many", self._protocol.delete_batch(list(keys)))

    def presigned_get(self, key: str, expiry: int = 3600) -> str:
        """Return a URL that fetches ``key`` with a plain HTTP GET for ``expiry`` seconds."""
        return self._run("presigned_get", self._protocol.presign("get_object", "presigned_get", key, expiry))

    def presigned_put(self, key: str, expiry: int = 3600) -> str:
        """Return a URL that stores an object at ``key`` with a plain HTTP PUT for ``expiry`` seconds."""
        return self._run("presigned_put", self._protocol.presign("put_object", "presigned_put", key, expiry))
