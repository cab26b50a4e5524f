"""cp and sync: objects, local files and folders, store to store; reports, dry runs, failures."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .conftest import Run, one_error_line


def make_tree(root: Path) -> dict[str, bytes]:
    files = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)), "sub/deeper/c": b"\x00\r\n"}
    for key, data in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_cp_object_to_object_and_into_a_folder_key(run: Run) -> None:
    run("put", "-", "files:src/x.bin", input=b"data")
    assert run("cp", "files:src/x.bin", "backup:y.bin").returncode == 0
    assert run("cp", "files:src/x.bin", "backup:dir/").returncode == 0
    assert run("cp", "files:src/x.bin", "backup").returncode == 0
    assert run("ls", "backup").stdout.decode().split() == ["dir/x.bin", "x.bin", "y.bin"]
    assert run("cat", "backup:dir/x.bin").stdout == b"data"


def test_cp_local_file_to_store_and_back(run: Run, tmp_path: Path) -> None:
    (tmp_path / "in.bin").write_bytes(b"\x00\xff" * 100)
    assert run("cp", "in.bin", "files:k/in.bin").returncode == 0
    out = tmp_path / "outdir"
    out.mkdir()
    assert run("cp", "files:k/in.bin", "out.bin").returncode == 0
    assert run("cp", "files:k/in.bin", str(out)).returncode == 0
    assert (tmp_path / "out.bin").read_bytes() == b"\x00\xff" * 100
    assert (out / "in.bin").read_bytes() == b"\x00\xff" * 100


def test_cp_into_a_missing_local_folder_fails(run: Run, tmp_path: Path) -> None:
    run("put", "-", "files:k", input=b"1")
    result = run("cp", "files:k", str(tmp_path / "no" / "such" / "file"))
    assert result.returncode == 1
    assert "No such file or directory" in one_error_line(result)


def test_cp_r_folder_to_prefix_like_aws_s3_cp_recursive(run: Run, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "dir")
    result = run("cp", "-r", "dir", "files:P/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("copied 3, updated 0, deleted 0, unchanged 0, failed 0")
    assert run("ls", "files").stdout.decode().split() == sorted(f"P/{key}" for key in files)
    assert run("cp", "-r", "dir", "files:Q").returncode == 0
    assert run("ls", "files:Q").stdout.decode().split() == sorted(f"Q/{key}" for key in files)
    assert run("cat", "files:P/sub/b.bin").stdout == files["sub/b.bin"]


def test_cp_r_prefix_to_local_folder_and_store_to_store(run: Run, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "dir")
    run("cp", "-r", "dir", "files:P/")
    run("put", "-", "files:outside", input=b"not under P")
    assert run("cp", "-r", "files:P/", "restored").returncode == 0
    assert read_tree(tmp_path / "restored") == files
    report = json.loads(run("cp", "-r", "--json", "files:P", "backup:copy/").stdout)
    assert report["copied"] == 3 and report["failed"] == 0 and report["bytes_read"] == sum(map(len, files.values()))
    assert read_tree(tmp_path / "backup") == {f"copy/{key}": data for key, data in files.items()}


def test_cp_r_from_a_missing_folder_and_between_local_paths(run: Run, tmp_path: Path) -> None:
    result = run("cp", "-r", "absent", "files:")
    assert result.returncode == 1
    assert "absent: no such directory" in one_error_line(result)
    (tmp_path / "dir").mkdir()
    result = run("cp", "-r", "dir", "other")
    assert result.returncode == 2
    assert "local paths" in one_error_line(result)


def test_sync_copies_updates_and_then_converges(run: Run, tmp_path: Path) -> None:
    make_tree(tmp_path / "dir")
    first = json.loads(run("sync", "--json", "dir", "files:").stdout)
    assert (first["copied"], first["updated"], first["unchanged"]) == (3, 0, 0)
    (tmp_path / "dir" / "a.txt").write_bytes(b"changed\n")
    (tmp_path / "dir" / "new").write_bytes(b"new")
    second = json.loads(run("sync", "--json", "dir", "files:").stdout)
    assert (second["copied"], second["updated"], second["unchanged"]) == (1, 1, 2)
    third = run("sync", "dir", "files")
    assert third.stdout.decode().startswith("copied 0, updated 0, deleted 0, unchanged 4, failed 0")
    assert read_tree(tmp_path / "files") == read_tree(tmp_path / "dir")


def test_sync_delete_and_prefixes(run: Run, tmp_path: Path) -> None:
    for key in ("p/1", "p/2", "q/1"):
        run("put", "-", f"files:{key}", input=key.encode())
    run("put", "-", "backup:mirror/stale", input=b"old")
    run("put", "-", "backup:keep", input=b"outside the prefix")
    report = json.loads(run("sync", "--delete", "--json", "files:p", "backup:mirror").stdout)
    assert (report["copied"], report["deleted"]) == (2, 1)
    assert run("ls", "backup").stdout.decode().split() == ["keep", "mirror/1", "mirror/2"]


def test_sync_dry_run_reports_changes_and_changes_nothing(run: Run, tmp_path: Path) -> None:
    run("put", "-", "files:new", input=b"n")
    run("put", "-", "files:same", input=b"s")
    run("put", "-", "files:changed", input=b"c2")
    run("put", "-", "backup:same", input=b"s")
    run("put", "-", "backup:changed", input=b"c1")
    run("put", "-", "backup:extra", input=b"e")
    # The copy of "same" was made after the source's last change, "changed" was changed since.
    for path, hours in (("files/same", 0), ("files/changed", 0), ("backup/same", 1), ("backup/changed", -1)):
        os.utime(tmp_path / path, (1_700_000_000 + hours * 3600,) * 2)
    before = read_tree(tmp_path / "backup")
    result = run("sync", "--dry-run", "--delete", "files", "backup")
    assert result.returncode == 0
    assert result.stdout.decode().splitlines() == [
        "would update: changed",
        "would delete: extra",
        "would copy: new",
        "dry run: would copy 1, update 1, delete 1; unchanged 1, failed 0 (4 objects, 3 B read)",
    ]
    report = json.loads(run("sync", "-n", "--delete", "--json", "files", "backup").stdout)
    assert report["dry_run"] is True
    assert report["changes"] == [{"key": "changed", "outcome": "updated"}, {"key": "extra", "outcome": "deleted"},
                                 {"key": "new", "outcome": "copied"}]
    assert read_tree(tmp_path / "backup") == before


def test_failed_keys_give_exit_1_and_one_line_each(run: Run, tmp_path: Path) -> None:
    run("put", "-", "files:ok", input=b"1")
    run("put", "-", "files:blocked/child", input=b"2")
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "blocked").write_bytes(b"a file where a folder is needed")
    result = run("sync", "--json", "files", "backup")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["failed"] == 1 and report["failed_keys"] == ["blocked/child"] and report["copied"] == 1
    assert "blocked/child" in report["errors"]
    line = one_error_line(result)
    assert "files:blocked/child -> backup:blocked/child" in line


def test_sync_from_a_store_that_cannot_list_fails(run: Run) -> None:
    result = run("sync", "hashed", "files")
    assert result.returncode == 1
    assert "cannot list" in one_error_line(result)


def test_piped_transfers_print_only_the_result(run: Run, tmp_path: Path) -> None:
    make_tree(tmp_path / "dir")
    result = run("cp", "-r", "dir", "files:")
    assert result.stderr == b""
    assert len(result.stdout.decode().splitlines()) == 1
    assert os.listdir(tmp_path / "files")


def test_cp_dash_is_stdin_or_stdout(run: Run, tmp_path: Path) -> None:
    data = bytes(range(256)) * 3
    assert run("cp", "-", "files:d/k", input=data).returncode == 0
    assert (tmp_path / "files" / "d" / "k").read_bytes() == data
    result = run("cp", "files:d/k", "-")
    assert result.returncode == 0 and result.stdout == data
    assert not (tmp_path / "-").exists()
    (tmp_path / "-").write_bytes(b"a file named -")
    assert run("cp", "./-", "files:named").returncode == 0
    assert run("cat", "files:named").stdout == b"a file named -"


def test_cp_dash_needs_one_object(run: Run) -> None:
    for args in (("cp", "-", "files:dir/"), ("cp", "-", "files"), ("cp", "-", "-")):
        result = run(*args, input=b"x")
        assert result.returncode == 2, args
        one_error_line(result)


def test_dash_with_recursive_copy_or_sync_is_a_usage_error(run: Run) -> None:
    run("put", "-", "files:P/k", input=b"1")
    for args in (("cp", "-r", "-", "files:P/"), ("cp", "-r", "files:P/", "-"), ("sync", "-", "files"),
                 ("sync", "files:P", "-")):
        result = run(*args, input=b"x")
        assert result.returncode == 2, args
        assert "'-'" in one_error_line(result)


def test_sync_compares_by_stat_and_reads_no_unchanged_object(run: Run, tmp_path: Path) -> None:
    files = make_tree(tmp_path / "dir")
    first = json.loads(run("sync", "--json", "dir", "files:").stdout)
    assert first["copied"] == 3 and first["bytes_read"] == sum(map(len, files.values()))
    for key in files:
        os.utime(tmp_path / "dir" / key, (1_700_000_000, 1_700_000_000))
    second = json.loads(run("sync", "--json", "dir", "files:").stdout)
    assert (second["unchanged"], second["bytes_read"]) == (3, 0)


def test_cp_r_and_sync_stream_large_objects_and_count_their_bytes(
    run: Run, tmp_path: Path, env: dict[str, str]
) -> None:
    config = tmp_path / "streaming.yaml"
    config.write_text(
        "stores:\n"
        f"  big: {{type: 'tests.cli._stores:StreamOnly', config: {{root_path: '{tmp_path}/big'}}}}\n"
        f"  files: {{type: FilesystemStore, config: {{root_path: '{tmp_path}/files'}}}}\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    extra = {"PYTHONPATH": os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))}
    (tmp_path / "big").mkdir()
    large = os.urandom(9 * 1024 * 1024)
    (tmp_path / "big" / "large.bin").write_bytes(large)
    (tmp_path / "big" / "small").write_bytes(b"s")
    for command in ("cp", "sync"):
        recursive = ["-r"] if command == "cp" else []
        result = run("--config", str(config), command, *recursive, "--json", "big:", f"files:{command}/",
                     extra_env=extra)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["copied"] == 2 and report["bytes_read"] == len(large) + 1
        assert (tmp_path / "files" / command / "large.bin").read_bytes() == large
