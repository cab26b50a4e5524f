"""The storage command on single objects: put, cat, ls, stat, rm, types, check; and their errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import Run, one_error_line

BINARY = bytes(range(256)) * 64 + b"\r\n\x00\x1a\xff end"


def test_every_command_runs_as_module_and_as_script(command: list[str], env: dict[str, str], tmp_path: Path) -> None:
    def storage(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*command, *args], check=False, input=data, capture_output=True, env=env,
                              cwd=tmp_path, timeout=120)

    assert storage("put", "-", "files:a/b.bin", data=BINARY).returncode == 0
    assert storage("cat", "files:a/b.bin").stdout == BINARY
    assert storage("ls", "files").stdout == b"a/b.bin\n"
    assert json.loads(storage("stat", "--json", "files:a/b.bin").stdout)["size"] == len(BINARY)
    assert storage("cp", "files:a/b.bin", "backup:copy.bin").returncode == 0
    assert json.loads(storage("sync", "--json", "files:", "backup:mirror").stdout)["copied"] == 1
    assert storage("rm", "files:a/b.bin").returncode == 0
    assert b"FilesystemStore" in storage("types").stdout
    assert storage("check").stdout.startswith(b"OK: ")
    assert storage("--version").stdout.startswith(b"storage ")


def test_binary_data_passes_through_stdin_and_stdout_unchanged(run: Run, tmp_path: Path) -> None:
    assert run("put", "-", "files:blob", input=BINARY).returncode == 0
    assert (tmp_path / "files" / "blob").read_bytes() == BINARY
    result = run("cat", "files:blob")
    assert result.returncode == 0
    assert result.stdout == BINARY
    assert result.stderr == b""


def test_put_a_file_and_into_a_folder_key(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "report.txt"
    source.write_bytes(b"hello\n")
    assert run("put", str(source), "files:docs/").returncode == 0
    assert run("put", str(source), "files:other.txt").returncode == 0
    assert run("ls", "files:").stdout.decode().split() == ["docs/report.txt", "other.txt"]


def test_cat_several_objects_in_order(run: Run) -> None:
    run("put", "-", "files:one", input=b"1")
    run("put", "-", "files:two", input=b"2")
    assert run("cat", "files:two", "files:one").stdout == b"21"


def test_ls_prefix_long_and_json(run: Run) -> None:
    for key in ("a/1", "a/2", "b/1"):
        run("put", "-", f"files:{key}", input=b"xyz")
    assert run("ls", "files:a/").stdout == b"a/1\na/2\n"
    assert json.loads(run("ls", "--json", "files:a").stdout) == ["a/1", "a/2"]
    long_lines = run("ls", "-l", "files").stdout.decode().splitlines()
    assert [line.split()[0] for line in long_lines] == ["3", "3", "3"]
    assert [line.split()[-1] for line in long_lines] == ["a/1", "a/2", "b/1"]
    rows = json.loads(run("ls", "-l", "--json", "files:b").stdout)
    assert rows[0]["key"] == "b/1" and rows[0]["size"] == 3 and rows[0]["modified"]


def test_ls_an_empty_store_prints_nothing(run: Run) -> None:
    result = run("ls", "backup")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_stat_text_and_json(run: Run) -> None:
    run("put", "-", "files:k", input=b"12345")
    text = run("stat", "files:k").stdout.decode()
    assert "key:      k" in text and "size:     5" in text and "modified: " in text and "etag: " in text
    info = json.loads(run("stat", "--json", "files:k").stdout)
    assert info["store"] == "files" and info["key"] == "k" and info["size"] == 5
    assert set(info) == {"store", "key", "size", "modified", "etag"}


def test_stat_on_a_store_without_metadata(run: Run) -> None:
    run("put", "-", "hashed:some key", input=b"abc")
    info = json.loads(run("stat", "--json", "hashed:some key").stdout)
    assert info["size"] == 3


def test_rm_deletes_and_reports_each_missing_key(run: Run, tmp_path: Path) -> None:
    run("put", "-", "files:x", input=b"1")
    run("put", "-", "files:y", input=b"2")
    result = run("rm", "files:x", "files:missing", "files:y")
    assert result.returncode == 1
    line = one_error_line(result)
    assert "files:missing" in line and "no such object" in line
    assert run("ls", "files").stdout == b""


def test_types_lists_core_types_with_distribution_and_version(run: Run) -> None:
    result = run("types")
    assert result.returncode == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.decode().splitlines()[1:] if line[0] != "!"}
    assert rows["FilesystemStore"][1] == "storage-core"
    assert rows["PrefixStore"][1] == "storage-utils"
    listed = {row["name"]: row for row in json.loads(run("types", "--json").stdout)}
    assert listed["DictStore"]["distribution"] == "storage-core"
    assert listed["DictStore"]["version"]
    assert listed["DictStore"]["class"] == "storage.object:DictStore"


def test_types_flags_conflicts(run: Run) -> None:
    from storage.plugins import default_registry

    conflicts = default_registry().conflicts()
    listed = {row["name"]: row["conflict"] for row in json.loads(run("types", "--json").stdout)}
    assert {name for name, conflict in listed.items() if conflict} == set(conflicts)
    text = run("types").stdout.decode()
    for name in conflicts:
        assert f"! conflict: type {name} is registered by" in text


def test_check_ok_and_explain(run: Run, config: Path) -> None:
    result = run("check")
    assert result.returncode == 0
    expected = f"OK: {config}: 6 stores (files, backup, hashed, memory, amemory, afiles), main: files"
    assert result.stdout.decode().strip() == expected
    explained = run("check", "--explain", str(config)).stdout.decode()
    assert "files:\n  FilesystemStore(" in explained
    assert "[read, write, delete, listing" in explained
    assert "HashdirStore(" in explained and "listing" not in explained.split("HashdirStore(")[1].split("\n")[0]


def test_check_explain_shows_the_wrapper_tree(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "tree.yaml"
    path.write_text(f"""
stores:
  raw: {{type: FilesystemStore, config: {{root_path: "{tmp_path}/raw"}}}}
  ro: {{type: ReadonlyStore, base: zipped}}
  zipped: {{type: GzipStore, base: sub}}
  sub: {{type: PrefixStore, base: raw, config: {{prefix: "p/"}}}}
""")
    lines = run("check", "--explain", str(path)).stdout.decode().splitlines()
    start = lines.index("ro:")
    assert lines[start + 1].startswith("  ReadonlyStore()")
    assert "write," not in lines[start + 1] and "delete" not in lines[start + 1]
    assert lines[start + 2].startswith("  └── store: GzipStore()")
    assert lines[start + 3].startswith("      └── store: PrefixStore('p/')")
    assert lines[start + 4].startswith("          └── store: FilesystemStore(")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("stores: [", "not valid YAML"),
        ("stores:\n  a: {type: NoSuchStore}\n", "NoSuchStore"),
        ("stores:\n  a: {type: FilesystemStore}\n", "root_path"),
        ("stores:\n  a: {type: PrefixStore, base: b, config: {prefix: x}}\n", "names no store"),
    ],
)
def test_bad_config_is_a_one_line_usage_error(run: Run, tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    for args in (["check", str(path)], ["--config", str(path), "ls", "a"]):
        result = run(*args)
        assert result.returncode == 2, result.stderr
        assert expected in one_error_line(result)


def test_missing_config_file_and_no_config(run: Run, tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "nope.yaml"), "ls", "files")
    assert result.returncode == 2
    assert "nope.yaml" in one_error_line(result)
    result = run("ls", "files", extra_env={"STORAGE_CONFIG": ""})
    assert result.returncode == 2
    assert "STORAGE_CONFIG" in one_error_line(result)


def test_unknown_store_is_a_usage_error_naming_it(run: Run) -> None:
    for args in (["cat", "nope:key"], ["ls", "nope"], ["cp", "nope:key", "files:x"], ["put", "-", "nope:k"],
                 ["rm", "nope:k"], ["stat", "nope:k"], ["sync", "nope:", "files:"]):
        result = run(*args, input=b"")
        assert result.returncode == 2, args
        assert "unknown store 'nope'" in one_error_line(result)


def test_a_local_file_with_a_colon_is_a_path_not_a_store(run: Run, tmp_path: Path) -> None:
    (tmp_path / "odd:name").write_bytes(b"colon")
    assert run("cp", "odd:name", "files:odd").returncode == 0
    assert run("cat", "files:odd").stdout == b"colon"
    (tmp_path / "files:x").write_bytes(b"local")
    assert run("cp", "./files:x", "files:explicit").returncode == 0
    assert run("cat", "files:explicit").stdout == b"local"


def test_missing_key_fails_with_one_line_naming_store_and_key(run: Run) -> None:
    for args in (["cat", "files:no/such"], ["stat", "files:no/such"], ["rm", "files:no/such"],
                 ["cp", "files:no/such", "backup:x"]):
        result = run(*args)
        assert result.returncode == 1, args
        line = one_error_line(result)
        assert "files:no/such" in line and "no such object" in line


def test_debug_shows_the_traceback(run: Run) -> None:
    result = run("--debug", "cat", "files:missing")
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "Traceback" in stderr and "ObjectNotFound" in stderr
    assert stderr.splitlines()[-1].startswith("storage: error: cat files:missing")


def test_usage_errors(run: Run, tmp_path: Path) -> None:
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2
    for args, expected in ((["cat", "files:"], "names no object"), (["put", "-", "files:dir/"], "names no object"),
                           (["cp", "files:", "backup:"], "use cp -r"), (["cp", str(tmp_path), "files:x"], "use cp -r"),
                           (["cp", "a.txt", "b.txt"], "local paths")):
        result = run(*args, input=b"")
        assert result.returncode == 2, args
        assert expected in one_error_line(result)


def test_async_stores_work_through_a_blocking_view(run: Run, tmp_path: Path) -> None:
    assert run("put", "-", "afiles:dir/k", input=b"async \x00 bytes").returncode == 0
    assert run("cat", "afiles:dir/k").stdout == b"async \x00 bytes"
    assert run("ls", "afiles:dir/").stdout.decode().split() == ["dir/k"]
    assert run("put", "-", "files:x", input=b"1").returncode == 0
    assert run("sync", "files:", "afiles:copied").returncode == 0
    assert (tmp_path / "afiles" / "copied" / "x").read_bytes() == b"1"
    assert run("ls", "amemory").returncode == 0


def test_listing_a_store_that_cannot_list_fails(run: Run) -> None:
    result = run("ls", "hashed")
    assert result.returncode == 1
    assert "cannot list" in one_error_line(result)


def test_invalid_key_and_unreadable_local_file(run: Run, tmp_path: Path) -> None:
    result = run("put", "-", "files:../escape", input=b"x")
    assert result.returncode == 1
    assert "files:../escape" in one_error_line(result)
    assert not (tmp_path / "escape").exists()
    result = run("put", str(tmp_path / "absent.txt"), "files:k")
    assert result.returncode == 1
    assert "absent.txt" in one_error_line(result)


def test_non_bytes_values_are_refused_not_crashed_on(run: Run, tmp_path: Path) -> None:
    module = tmp_path / "textstores.py"
    module.write_text(
        "from storage.object import DictStore\n\n"
        "class TextStore(DictStore):\n"
        "    def __init__(self):\n"
        "        super().__init__({'t': 'some text'})\n"
    )
    path = tmp_path / "text.yaml"
    path.write_text("stores:\n  text: {type: 'textstores:TextStore'}\n")
    result = run("--config", str(path), "cat", "text:t", extra_env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1
    assert "not bytes" in one_error_line(result)


def test_quiet_and_env_config(run: Run, config: Path) -> None:
    result = run("--quiet", "--config", str(config), "ls", "files")
    assert (result.returncode, result.stderr) == (0, b"")
    assert os.environ.get("STORAGE_CONFIG") != str(config)


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_large_binary_objects_pass_whole_buffered_or_not(run: Run, unbuffered: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    modes = {"PYTHONUNBUFFERED": unbuffered}
    assert run("put", "-", "files:large", input=data, extra_env=modes).returncode == 0
    assert run("cat", "files:large", extra_env=modes).stdout == data


def test_metrics_of_a_metrics_store_are_printed(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "metered.yaml"
    path.write_text(f"""
stores:
  raw: {{type: FilesystemStore, config: {{root_path: "{tmp_path}/raw"}}}}
  metered: {{type: MetricsStore, base: raw, config: {{name: files}}}}
""")
    assert run("--config", str(path), "put", "-", "metered:a", input=b"12345").returncode == 0
    result = run("--config", str(path), "--metrics", "cat", "metered:a")
    assert result.returncode == 0 and result.stdout == b"12345"
    report = result.stderr.decode()
    assert report.startswith("metrics of files")
    get_line = next(line for line in report.splitlines() if line.split()[:1] == ["get"])
    assert get_line.split()[1:5] == ["1", "0", "0", "5"]
    assert run("--config", str(path), "cat", "metered:a").stderr == b""
