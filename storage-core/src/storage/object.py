"""The store interface and the in-memory stores (the seed's ``storage.object``)."""

from storage._base import AsyncObjectStore, ObjectStore
from storage.capabilities import Capabilities
from storage.memory import AsyncDictStore, DictStore

__all__ = ["AsyncDictStore", "AsyncObjectStore", "Capabilities", "DictStore", "ObjectStore"]
