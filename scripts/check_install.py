"""Checks run in an environment holding only some distributions (called by .ci/run).

usage: python scripts/check_install.py storage-core [storage-sqlite ...]

- the installed types are exactly those the named distributions register, and each imports;
- a configuration naming a first-party type that is not installed fails with the install hint;
- a FilesystemStore built from YAML round-trips an object;
- importing storage.config imports no backend dependency and no other distribution's module.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION_MODULES = {
    "storage-sqlite": ("storage.db", "storage.aiodb"),
    "storage-zip": ("storage.zip",),
    "storage-s3": ("storage.s3",),
    "storage-utils": ("storage.utils", "storage.aioutils"),
}
IMPORT_PROBE = """
import sys
import storage.config
heavy = ("boto3", "botocore", "aioboto3", "aiobotocore", "sqlite3")
print(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in {modules!r}))
"""


def registered_types(distribution: str) -> set[str]:
    """The entry-point names a distribution's pyproject.toml registers in storage.backends."""
    text = (ROOT / distribution / "pyproject.toml").read_text()
    section = text.split('[project.entry-points."storage.backends"]', 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", section, re.MULTILINE))


def main(installed: list[str]) -> int:
    """Run every check, print one line each, return 1 if any failed."""
    from storage.config import load_store
    from storage.errors import ConfigError
    from storage.plugins import FIRST_PARTY_TYPES, default_registry

    failures = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures
        print(("ok      " if ok else "FAILED  ") + what)
        failures += not ok

    all_modules = tuple(m for modules in DISTRIBUTION_MODULES.values() for m in modules)
    probe = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE.format(modules=all_modules)], capture_output=True, text=True, check=True
    )
    check(probe.stdout.strip() == "[]", f"import storage.config imports no backend {probe.stdout.strip()}")

    expected = set().union(*(registered_types(d) for d in installed))
    found = set(default_registry().types())
    check(found == expected, f"installed types are exactly those of {', '.join(installed)} ({len(found)} types)")
    for name in sorted(found):
        try:
            default_registry().load(name)
        except ConfigError as err:
            check(False, f"type {name} imports: {err}")
    check(True, f"every installed type imports ({len(found)})")

    for dist in sorted(set(DISTRIBUTION_MODULES) - set(installed)):
        name = sorted(n for n, d in FIRST_PARTY_TYPES.items() if d == dist and not n.startswith("Async"))[0]
        try:
            load_store({"stores": {"s": {"type": name}}, "main": "s"})
        except ConfigError as err:
            hint = f"type {name} is provided by {dist}: pip install {dist}"
            check(hint in str(err), f"type: {name} fails with the install hint for {dist}")
        else:
            check(False, f"type: {name} should fail: {dist} is not installed")

    with tempfile.TemporaryDirectory() as tmp:
        config = {"stores": {"files": {"type": "FilesystemStore", "config": {"root_path": tmp}}}, "main": "files"}
        with load_store(config) as store:
            store.put("a/b", b"round trip")
            check(store.get("a/b") == b"round trip", "a FilesystemStore built from YAML round-trips an object")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
