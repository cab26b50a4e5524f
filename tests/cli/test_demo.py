"""scripts/demo: sets everything up and runs the example job on examples/local.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_job_on_local_stores(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "STORAGE_CONFIG"}
    env.update(STORAGE_DEMO_ROOT=str(tmp_path / "demo"), VENV=sys.prefix)
    result = subprocess.run([str(ROOT / "scripts" / "demo")], check=False, capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "OK: " in out and "examples/local.yaml: 6 stores" in out
    assert "copied 8, updated 0, deleted 0, unchanged 0, failed 0" in out
    assert "dry run: would copy 0, update 0, delete 0; unchanged 8, failed 0" in out
    assert f"restored copy is identical to {tmp_path / 'demo' / 'sample'}" in out
    assert "== done: ingested 8 objects" in out
    demo = tmp_path / "demo"
    assert (demo / "library.sqlite").is_file() and (demo / "archive.zip").is_file()
    assert (demo / "restored" / "data" / "2024" / "random.bin").read_bytes() == (
        demo / "sample" / "data" / "2024" / "random.bin"
    ).read_bytes()
    again = subprocess.run([str(ROOT / "scripts" / "demo")], check=False, capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=900)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "copied 0, updated 0, deleted 0, unchanged 8, failed 0" in again.stdout


def test_demo_s3_runs_the_same_job_against_a_local_s3_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("STORAGE_CONFIG", "S3_ENDPOINT_URL", "S3_BUCKET")}
    env.update(STORAGE_DEMO_ROOT=str(tmp_path / "demo"), VENV=sys.prefix)
    result = subprocess.run([str(ROOT / "scripts" / "demo-s3")], check=False, capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "moto S3 server at http://127.0.0.1:" in out
    assert "examples/s3.yaml" in out
    assert "copied 8, updated 0, deleted 0, unchanged 0, failed 0" in out
    assert "dry run: would copy 0, update 0, delete 0; unchanged 8, failed 0" in out
    assert "== done: ingested 8 objects" in out
