"""``AsyncBucketStore``: an S3 bucket as an asyncio store, on aioboto3."""

from __future__ import annotations

import asyncio
import inspect
from contextlib import AsyncExitStack
from functools import partial
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Optional, Sequence, TypeVar

import aioboto3
import aiobotocore.session

from storage.errors import StoreError
from storage.metadata import ListResult, ObjectInfo
from storage.object import AsyncObjectStore
from storage.s3 import _batch
from storage.s3._aiostreams import AsyncBodyReader, AsyncUploadWriter
from storage.s3._client import expect_header_remover, trim_endpoint_parameters, tune_session
from storage.s3._common import LISTING_BEGUN, BucketStoreMixin
from storage.s3._plan import batches, page_keys
from storage.s3._protocol import Runner
from storage.s3._settings import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MULTIPART_COPY_THRESHOLD,
    DEFAULT_MULTIPART_THRESHOLD,
    BotocoreConfig,
    BucketSettings,
)
from storage.s3._steps import Call, Plan, ReadInto, Step

__all__ = ["AsyncBucketStore"]

A = TypeVar("A")
T = TypeVar("T")


class AsyncBucketStore(BucketStoreMixin, AsyncObjectStore):
    """The asyncio twin of ``BucketStore``, on aioboto3; use it with ``async with``.

    Arguments follow the seed: ``bucket_name``, ``endpoint_url``, ``s3_access_key``,
    ``s3_secret_key`` and ``botocore_config`` (a ``botocore.config.Config`` or a mapping of its
    options); the keyword-only options are those of ``BucketStore``. ``presigned_get`` and
    ``presigned_put`` are coroutines.
    """

    _exit_stack: Optional[AsyncExitStack] = None
    _open_lock: Optional[asyncio.Lock] = None

    def __init__(
        self,
        bucket_name: str,
        endpoint_url: Optional[str] = None,
        s3_access_key: Optional[str] = None,
        s3_secret_key: Optional[str] = None,
        botocore_config: BotocoreConfig = None,
        *,
        region_name: Optional[str] = None,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        multipart_copy_threshold: int = DEFAULT_MULTIPART_COPY_THRESHOLD,
        s3_client: Any = None,
    ) -> None:
        self._configure(
            BucketSettings.create(
                bucket_name=bucket_name, endpoint_url=endpoint_url, s3_access_key=s3_access_key,
                s3_secret_key=s3_secret_key, botocore_config=botocore_config, region_name=region_name,
                multipart_threshold=multipart_threshold, max_concurrency=max_concurrency,
                multipart_copy_threshold=multipart_copy_threshold,
            ),
            s3_client,
        )

    # Lifecycle ----------------------------------------------------------------------------

    async def _open(self) -> None:
        if self._open_lock is None:
            self._open_lock = asyncio.Lock()
        async with self._open_lock:
            if self.s3_client is not None:
                return
            stack = AsyncExitStack()
            core = tune_session(aiobotocore.session.get_session())
            creator = aioboto3.Session(botocore_session=core).client("s3", **self.settings.client_kwargs())
            try:
                client = self._adopt(await stack.enter_async_context(creator))
            except Exception as err:
                self._protocol.reraise(err, "open")
            trim_endpoint_parameters(client, core)
            # aiohttp waits for ``100 Continue`` with no timeout at all, so a server that accepts
            # the connection and stays silent would hang a ``put`` despite ``read_timeout``.
            client.meta.events.register("before-send.s3", expect_header_remover(None))
            self._exit_stack = stack

    async def _close(self) -> None:
        try:
            await self._drive(self._end_session())
        finally:
            stack, self._exit_stack, self._open_lock = self._exit_stack, None, None
            if self._release() is not None and stack is not None:
                await stack.aclose()

    # Running plans ------------------------------------------------------------------------

    async def _execute(self, step: Step) -> Any:
        if isinstance(step, Call):
            result = getattr(self.s3_client, step.method)(**step.params)
        elif isinstance(step, ReadInto):
            result = step.body.readinto(step.buffer)
        else:
            result = step.body.close()
        return await result if inspect.isawaitable(result) else result

    async def _run(self, operation: str, plan: Plan[T]) -> T:
        await self._ensure_open(operation)
        return await self._drive(plan)

    async def _drive(self, plan: Plan[T]) -> T:
        runner = Runner(self._protocol, plan)
        while not runner.done:
            runner.settle(*await self._attempt(runner.step))
        value: T = runner.value
        return value

    async def _attempt(self, step: Step) -> tuple[Any, Optional[BaseException]]:
        try:
            return await self._execute(step), None
        except BaseException as err:
            return None, err

    async def _fan_out(self, function: Callable[[A], Awaitable[T]], args: Sequence[A]) -> list[_batch.Outcome[T]]:
        semaphore = asyncio.Semaphore(self.settings.max_concurrency)

        async def settle(arg: A) -> _batch.Outcome[T]:
            async with semaphore:
                try:
                    return await function(arg)
                except StoreError as err:
                    return err

        return list(await asyncio.gather(*(settle(arg) for arg in args)))

    # Operations ---------------------------------------------------------------------------

    async def get(self, key: str) -> bytes:
        """Return the object at ``key`` (read into one preallocated buffer); ``ObjectNotFound`` if absent.

        A body that breaks off while it is read is fetched again, up to the configured attempts.
        """
        return await self._run("get", self._protocol.get(key))

    async def put(self, key: str, data: Any, *, if_absent: bool = False) -> None:
        """Store ``data`` (bytes-like) at ``key``, in parts above ``multipart_threshold``.

        With ``if_absent=True`` S3 refuses to replace an object (``AlreadyExists``).
        """
        await self._run("put", self._protocol.put(key, data, if_absent))

    async def exists(self, key: str) -> bool:
        """Return whether an object is stored at ``key`` (a HEAD request)."""
        return await self._run("exists", self._protocol.exists(key))

    async def stat(self, key: str) -> ObjectInfo:
        """Return the size, modification time and ETag of ``key`` (a HEAD request)."""
        return await self._run("stat", self._protocol.stat(key))

    async def get_range(self, key: str, start: int, end: Optional[int] = None) -> bytes:
        """Return bytes ``[start:end)`` of the object, fetched with a ``Range`` request."""
        return await self._run("get_range", self._protocol.get_range(key, start, end))

    async def delete(self, key: str) -> None:
        """Remove the object at ``key``; ``ObjectNotFound`` if there is none."""
        await self._run("delete", self._protocol.delete(key))

    async def copy(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` on the server (CopyObject, or parts above ``multipart_copy_threshold``)."""
        await self._run("copy", self._protocol.copy(source, target))

    async def rename(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` on the server, then delete ``source`` (not atomic: S3 has no rename)."""
        await self._run("rename", self._protocol.rename(source, target))

    async def list_dir(self, prefix: str = "") -> ListResult:
        """Return the keys and ``/``-ending prefixes directly under ``prefix`` (ListObjectsV2 with a delimiter)."""
        return await self._run("list_dir", self._protocol.list_dir(prefix))

    async def open_read(self, key: str) -> AsyncBodyReader:  # type: ignore[override]
        """Return an async file streaming the object's body (``await f.read(n)``); ``ObjectNotFound`` now if absent.

        Reading it after the store is closed raises ``StoreClosed`` (and releases its connection).
        """
        session_check = self._session_check("open_read", key)  # before the GET: a close during it counts
        checked, body = await self._run("open_read", self._protocol.open_read(key))
        return AsyncBodyReader(body, self._protocol, checked, session_check)

    async def open_write(self, key: str) -> AsyncUploadWriter:  # type: ignore[override]
        """Return an async file streaming into a multipart upload; the object appears on ``await close()``.

        As ``BucketStore.open_write``: parts are sent as they fill, a small object is one
        PutObject, and ``discard()``, an exception in ``async with`` or closing the store while the
        writer is open aborts the upload (its ``write`` and ``close`` then raise ``StoreClosed``).
        """
        upload = self._protocol.open_write(key)
        await self._ensure_open("open_write")
        return self._track(AsyncUploadWriter(partial(self._run, "open_write"), self._protocol, upload))

    def keys(self, prefix: str = "") -> AsyncIterator[str]:
        """Iterate over the keys under ``prefix``, fetching each page of 1,000 only when needed.

        ``StoreClosed`` if the store was closed (even if opened again) after ``keys()`` was called,
        before a page is fetched.
        """
        params = self._protocol.list_params(prefix)
        return self._iter_keys(params, self._session_check("keys", params.get("Prefix"), LISTING_BEGUN))

    async def _iter_keys(self, params: dict[str, Any], session_check: Callable[[], None]) -> AsyncIterator[str]:
        await self._ensure_open("keys")
        try:
            session_check()
            async for page in self.s3_client.get_paginator("list_objects_v2").paginate(**params):
                for key in page_keys(page):
                    yield key
                session_check()
        except Exception as err:
            self._protocol.reraise(err, "keys", params.get("Prefix"))

    async def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Return ``{key: object}`` for the keys that hold one, fetched concurrently."""
        wanted = _batch.checked_keys(self._protocol, keys, "get_many")
        await self._ensure_open("get_many")
        return _batch.found(self.store_name, wanted, await self._fan_out(self.get, wanted))

    async def put_many(self, items: _batch.Items) -> None:
        """Store every ``(key, value)`` pair, concurrently; ``PartialFailure`` names failed keys."""
        pairs = _batch.checked_items(self._protocol, items)
        await self._ensure_open("put_many")
        outcomes = await self._fan_out(lambda pair: self.put(*pair), pairs)
        _batch.stored(self.store_name, [key for key, _ in pairs], outcomes)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove the keys with DeleteObjects, 1,000 a request; absent keys are skipped."""
        key_batches = list(batches(_batch.checked_keys(self._protocol, keys, "delete_many")))
        await self._ensure_open("delete_many")
        _batch.deleted(self.store_name, key_batches, await self._fan_out(self._delete_batch, key_batches))

    async def _delete_batch(self, keys: Sequence[str]) -> dict[str, StoreError]:
        return await self._run("delete_many", self._protocol.delete_batch(list(keys)))

    async def presigned_get(self, key: str, expiry: int = 3600) -> str:
        """Return a URL that fetches ``key`` with a plain HTTP GET for ``expiry`` seconds."""
        return await self._run("presigned_get", self._protocol.presign("get_object", "presigned_get", key, expiry))

    async def presigned_put(self, key: str, expiry: int = 3600) -> str:
        """Return a URL that stores an object at ``key`` with a plain HTTP PUT for ``expiry`` seconds."""
        return await self._run("presigned_put", self._protocol.presign("put_object", "presigned_put", key, expiry))
