"""What ``BucketStore`` and ``AsyncBucketStore`` share besides the plans: state, naming, pickling."""

from __future__ import annotations

from typing import Any, ClassVar

from storage.capabilities import Capabilities
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
        """Forget the client the store created and return it (``None`` if it uses a given one)."""
        owned = self._owned_client
        self._owned_client = None
        if owned is not None and self.s3_client is owned:
            self.s3_client = None
            return owned
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.settings.describe()})"
