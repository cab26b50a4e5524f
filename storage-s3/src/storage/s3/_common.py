"""What ``BucketStore`` and ``AsyncBucketStore`` share besides the plans: state, naming, pickling."""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from storage.capabilities import Capabilities
from storage.errors import StoreClosed
from storage.s3._protocol import BucketProtocol
from storage.s3._settings import BucketSettings

__all__ = ["BucketStoreMixin"]


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
    _transient_attrs: ClassVar[tuple[str, ...]] = ("s3_client", "_owned_client", "_exit_stack", "_open_lock")

    s3_client: Any = None
    _owned_client: Any = None
    #: How many times the store was closed: a stream opened before a close refuses use after it.
    _closings: int = 0

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

    def _release(self) -> Any:
        """End the store's session: forget the client the store created and return it (``None`` if it uses a given one).

        Streams opened before (``open_read``) refuse use from now on, even once the store is reopened.
        """
        self._closings += 1
        owned = self._owned_client
        self._owned_client = None
        if owned is not None and self.s3_client is owned:
            self.s3_client = None
            return owned
        return None

    def _session_check(self, operation: str, key: str) -> Callable[[], None]:
        """Return a check that raises ``StoreClosed`` once the store has been closed since this call."""
        closings = self._closings

        def check() -> None:
            if self._closings != closings:
                raise StoreClosed("the store was closed after the stream was opened", store=self.store_name,
                                  operation=operation, key=key)

        return check

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings.describe()})"
