"""Snapshots of a directory tree, to show that an operation changed nothing."""

from __future__ import annotations

import hashlib
import os
from typing import Dict, Tuple

Entry = Tuple[str, int, str]


def snapshot(root: str) -> Dict[str, Entry]:
    """Map every path under ``root`` (itself included) to its kind, mode and content hash."""
    tree: Dict[str, Entry] = {}
    for directory, subdirs, files in os.walk(root):
        status = os.lstat(directory)
        tree[os.path.relpath(directory, root)] = ("dir", status.st_mode, "")
        for name in files + [d for d in subdirs if os.path.islink(os.path.join(directory, d))]:
            path = os.path.join(directory, name)
            status = os.lstat(path)
            if os.path.islink(path):
                content = os.readlink(path)
            else:
                with open(path, "rb") as file:
                    content = hashlib.sha256(file.read()).hexdigest()
            tree[os.path.relpath(path, root)] = ("file", status.st_mode, content)
    return tree
