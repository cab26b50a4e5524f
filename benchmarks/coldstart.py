"""Cold start: a new python building a DictStore from YAML, against one that only imports yaml."""

from __future__ import annotations

import subprocess
import sys
from typing import List

from benchmarks.context import Context
from benchmarks.harness import Comparison, Measure, Target, compare, timed

GROUP = "coldstart"
CONFIG = """\
stores:
  main:
    type: DictStore
main: main
"""


def _python(code: str) -> Measure:
    command = [sys.executable, "-c", code]
    return lambda: timed(lambda: subprocess.run(command, check=True))


def run(context: Context) -> List[Comparison]:
    """Measure the coldstart group."""
    path = context.directory("coldstart") / "stores.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    ours = f"from storage.config import load_store; load_store({str(path)!r}).put('k', b'v')"
    return [
        compare(
            GROUP,
            "python -c: import storage.config, build a DictStore from YAML, put",
            ('python -c "import yaml"', _python("import yaml")),
            [
                ("load_store(DictStore YAML)", _python(ours), True, Target("ratio", 2.0)),
                ('python -c "pass"', _python("pass"), False, None),
                ('python -c "import boto3"', _python("import boto3"), False, None),
            ],
            context.settings.size(15, 5),
            note="a new interpreter each time, start-up included",
        )
    ]
