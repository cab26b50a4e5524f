"""A plugin that clashes with storage-example, ships a broken type, and has hooks that misbehave on demand."""
