"""Checks run in an environment that holds storage-core alone (called by .ci/run).

- a FilesystemStore built from YAML round-trips an object;
- a configuration naming a type from another distribution fails with the install hint;
- importing storage.config imports neither boto3 nor any other distribution's module;
- the installed types are exactly storage-core's.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

OTHER_DISTRIBUTIONS = ("storage.db", "storage.aiodb", "storage.zip", "storage.s3", "storage.utils", "storage.aioutils")
CORE_TYPES = {"DictStore", "AsyncDictStore", "FilesystemStore", "HashdirStore", "AsyncFilesystemStore", "AsyncHashdirStore"}


def main() -> int:
    """Run every check; print one line each; return the number of failures."""
    import storage.config
    from storage.errors import ConfigError
    from storage.plugins import default_registry

    failures = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures
        print(("ok      " if ok else "FAILED  ") + what)
        failures += not ok

    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "aioboto3") or m in OTHER_DISTRIBUTIONS)
    check(heavy == [], f"import storage.config imports no backend module {heavy or ''}")
    for module in OTHER_DISTRIBUTIONS:
        check(importlib.util.find_spec(module) is None, f"{module} is not installed")
    check(set(default_registry().types()) == CORE_TYPES, f"installed types are storage-core's: {sorted(default_registry().types())}")

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "storage.yaml"
        config.write_text(f"stores:\n  files:\n    type: FilesystemStore\n    config: {{root_path: {tmp}/data}}\nmain: files\n")
        with storage.config.load_store(config) as store:
            store.put("a/b", b"round trip")
            check(store.get("a/b") == b"round trip", "a FilesystemStore built from YAML round-trips an object")
        for type_name, dist in (("SqliteStore", "storage-sqlite"), ("BucketStore", "storage-s3"), ("ZipStore", "storage-zip"), ("CachingStore", "storage-utils")):
            try:
                storage.config.load_store({"stores": {"db": {"type": type_name}}, "main": "db"})
            except ConfigError as err:
                hint = f"type {type_name} is provided by {dist}: pip install {dist}"
                check(hint in str(err), f"type: {type_name} fails with the install hint ({err})")
            else:
                check(False, f"type: {type_name} should have failed")
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
