"""A store registered under a name storage-example registers too."""

from storage.object import DictStore


class DuplicateStore(DictStore):
    """A DictStore under a contested name."""
