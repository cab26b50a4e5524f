"""Build every distribution's wheel and check the PEP 420 layout (called by .ci/run).

No wheel may ship ``storage/__init__.py``, each ``storage.<module>`` belongs to exactly one
distribution, and README.md's module table says which.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Build the wheels, print the module table, return 1 on any violation."""
    owners: dict[str, list[str]] = {}
    problems = []
    with tempfile.TemporaryDirectory() as out:
        for folder in sorted(ROOT.glob("storage-*/pyproject.toml")):
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, str(folder.parent)], check=True
            )
        for wheel in sorted(Path(out).glob("*.whl")):
            dist = wheel.name.split("-")[0].replace("_", "-")
            names = zipfile.ZipFile(wheel).namelist()
            if "storage/__init__.py" in names:
                problems.append(f"{dist} ships storage/__init__.py")
            top = {n.split("/")[1].removesuffix(".py") for n in names if n.startswith("storage/") and n.count("/") >= 1}
            for module in sorted(top - {"py.typed"}):
                owners.setdefault(module, []).append(dist)
    lines = (ROOT / "README.md").read_text().splitlines()
    readme_rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| storage-")}
    for module, dists in sorted(owners.items()):
        print(f"storage.{module:<16} {', '.join(dists)}")
        if len(dists) > 1:
            problems.append(f"storage.{module} is shipped by {' and '.join(dists)}")
        if f"`storage.{module}`" not in readme_rows.get(dists[0], ""):
            problems.append(f"README.md's table does not list storage.{module} under {dists[0]}")
    for problem in problems:
        print(f"FAILED  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
