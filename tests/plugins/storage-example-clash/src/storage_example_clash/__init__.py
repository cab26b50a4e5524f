"""A plugin that clashes with storage-example and ships a broken type."""
