"""What ``BucketStore`` and ``AsyncBucketStore`` share besides the plans: state, naming, pickling."""

from __future__ import annotations

import logging
import weakref
from typing import Any, Callable, ClassVar, Optional, TypeVar

from storage.capabilities import Capabilities
from storage.errors import StoreClosed
from storage.s3._multipart import UploadHandle
from storage.s3._protocol import BucketProtocol
from storage.s3._settings import BucketSettings
from storage.s3._steps import Plan

__all__ = ["LISTING_BEGUN", "BucketStoreMixin"]

log = logging.getLogger("storage.s3")

W = TypeVar("W", bound=UploadHandle)

#: What a ``keys()`` iterator's ``StoreClosed`` says came before the close.
LISTING_BEGUN = "the listing was begun"


class BucketStoreMixin:
    """Configuration and client bookkeeping of a bucket store (list it before the store base).

    ``s3_client`` is the client in use: created on first use unless one was given (or assigned)
    beforehand; a client the store did not create is used as it is and never closed by it.
    """

    CAPABILITIES: ClassVar[Capabilities] = Capabilities(
        listing=True, native_range=True, native_conditional_write=True, native_copy=True, native_metadata=True
    )
    #: What ``stat`` etags are: S3's ETag, the MD5 of the content (per part for a multipart upload), so
    #: equal etags of two buckets mean equal content (``sync_stores`` relies on that).
    etag_digest: ClassVar[str] = "s3-md5"
    #: Live connections: dropped when pickling, so a clone reconnects from the configuration.
    _transient_attrs: ClassVar[tuple[str, ...]] = (
        "s3_client", "_owned_client", "_exit_stack", "_open_lock", "_writers",
    )

    s3_client: Any = None
    _owned_client: Any = None
    #: How many times the store was closed: a stream or listing begun before a close refuses use after it.
    _closings: int = 0
    #: The ``open_write`` writers of the current session, held weakly (a dropped writer is forgotten).
    _writers: Optional[weakref.WeakSet[UploadHandle]] = None

    def _configure(self, settings: BucketSettings, s3_client: Any) -> None:
        self.settings = settings
        self.s3_client = s3_client
        self._protocol = BucketProtocol(settings, self.store_name)

    @property
    def bucket_name(self) -> str:
        """The bucket holding the objects."""
        return self.settings.bucket_name

    @property
    def store_name(self) -> str:
        """The name used for this store in messages: the class and the bucket."""
        return f"{type(self).__name__}({self.settings.bucket_name})"

    def _adopt(self, client: Any) -> Any:
        """Make ``client``, created by the store, the one in use."""
        self._owned_client = self.s3_client = client
        return client

    def _track(self, writer: W) -> W:
        """Remember ``writer`` (weakly), so that closing the store discards it if it is still open."""
        if self._writers is None:
            self._writers = weakref.WeakSet()
        self._writers.add(writer)
        return writer

    def _end_session(self) -> Plan[None]:
        """End the store's session; return the plan discarding its writers still open (run it with the client).

        Streams and listings begun before (``open_read``, ``keys``) refuse use from now on, even once
        the store is reopened; so do the writers discarded (``StoreClosed``): their multipart uploads
        are aborted and nothing is stored.
        """
        self._closings += 1
        writers, self._writers = list(self._writers or ()), None
        return self._discard_writers(writers)

    def _discard_writers(self, writers: list[UploadHandle]) -> Plan[None]:
        for writer in writers:
            try:
                yield from writer._abandon()
            except Exception as err:
                log.warning("%s: closing the store could not discard %r: %s", self.store_name, writer, err)

    def _release(self) -> Any:
        """Forget the client the store created and return it (``None`` if it uses a given one)."""
        owned = self._owned_client
        self._owned_client = None
        if owned is not None and self.s3_client is owned:
            self.s3_client = None
            return owned
        return None

    def _session_check(
        self, operation: str, key: Optional[str], begun: str = "the stream was opened"
    ) -> Callable[[], None]:
        """Return a check that raises ``StoreClosed`` once the store has been closed since this call."""
        closings = self._closings

        def check() -> None:
            if self._closings != closings:
                raise StoreClosed(f"the store was closed after {begun}", store=self.store_name,
                                  operation=operation, key=key)

        return check

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings.describe()})"
