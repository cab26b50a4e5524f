"""ZipStore beyond the conformance kit: foreign archives, rewrites, read-only mode, errors."""

from __future__ import annotations

import errno
import io
import os
import pickle
import shutil
import struct
import subprocess
import threading
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from storage.errors import (
    ConfigError,
    IntegrityError,
    InvalidKey,
    InvalidValue,
    ObjectNotFound,
    PermissionDenied,
    StoreClosed,
    StoreError,
    UnsupportedOperation,
)
from storage.validation import RESERVED_SEGMENT_PREFIX
from storage.zip import ZipStore

UNSAFE = ["../evil", "/abs", "a/../b", "x\\y", "./dot"]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "objects.zip"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def leftovers(directory: Path) -> list[str]:
    return [name for name in os.listdir(directory) if name.startswith(RESERVED_SEGMENT_PREFIX)]


def extra_ids(extra: bytes) -> list[int]:
    ids = []
    while len(extra) >= 4:
        kind, length = struct.unpack_from("<HH", extra)
        ids.append(kind)
        extra = extra[4 + length :]
    return ids


def raw_members(path: Path) -> dict[str, tuple[Any, ...]]:
    """Every member as stored: its central fields (less offsets and zip64 fields), local extra, data, descriptor."""
    raw = path.read_bytes()
    found = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
            extra_start = info.header_offset + 30 + name_length
            start = extra_start + extra_length
            end = start + info.compress_size
            descriptor = raw[end : end + 16] if info.flag_bits & 0x08 else b""
            found[info.filename] = (
                info.date_time, info.compress_type, info.flag_bits, info.CRC, info.compress_size, info.file_size,
                info.external_attr, info.internal_attr, info.create_system, info.comment, info.extra,
                raw[extra_start:start], raw[start:end], descriptor,
            )
    return found


@pytest.fixture
def info_zip() -> None:
    assert shutil.which("zip") and shutil.which("unzip"), "Info-ZIP zip/unzip are needed (apt-get install zip unzip)"


class Unseekable(io.BytesIO):
    """A stream ``zipfile`` cannot seek in, so it writes each member's sizes in a data descriptor."""

    def seek(self, *args: Any) -> int:
        raise io.UnsupportedOperation("seek")


@pytest.fixture
def python_archive(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("d/", b"")
        archive.writestr("d/stored", b"s" * 100, compress_type=zipfile.ZIP_STORED)
        archive.writestr("d/deflated", b"d" * 100, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("top", b"t")
        for name in UNSAFE:
            archive.writestr(name, b"outside")
    return path


# The seed's usage, overwrite and delete ----------------------------------------------------


def test_seed_usage_and_changes_survive_reopen(path: Path) -> None:
    with ZipStore(path) as store:
        store.put("a/b", b"1")
        store.put("c", b"2")
    assert members(path) == {"a/b": b"1", "c": b"2"}
    with ZipStore(str(path)) as store:
        assert store.get("a/b") == b"1"
        store.put("a/b", b"overwritten")
        store.delete("c")
        store.put("new", b"3")
    assert members(path) == {"a/b": b"overwritten", "new": b"3"}
    assert leftovers(path.parent) == []


def test_flush_writes_and_the_store_stays_usable(path: Path) -> None:
    store = ZipStore(path)
    store.put("k", b"v")
    assert not path.exists()
    store.flush()
    assert members(path) == {"k": b"v"}
    store.put("k", b"w")
    assert store.get("k") == b"w"
    store.flush()
    store.flush()
    assert members(path) == {"k": b"w"}
    store.close()
    with pytest.raises(StoreClosed):
        store.flush()


def test_close_writes_without_reading_the_new_archive_back(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ZipStore(path)
    store.put("k", b"v")
    opened: list[Any] = []
    real = zipfile.ZipFile.__init__

    def counting(self: zipfile.ZipFile, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> None:
        opened.append(mode)
        real(self, file, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting)
    store.close()
    assert opened == ["w"] and members(path) == {"k": b"v"}


@pytest.mark.parametrize("fsync", [False, True])
def test_flush_syncs_the_new_archive_and_its_directory_only_when_asked(
    path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    with ZipStore(path, fsync=fsync) as store:
        store.put("a", b"1")
        store.flush()
        assert len(synced) == (2 if fsync else 0)  # the temporary archive, then the directory
    assert ZipStore(path, mode="r").get("a") == b"1"


@pytest.mark.parametrize("finish", ["flush", "close"])
def test_a_failed_directory_sync_is_typed_and_the_store_goes_on(
    path: Path, monkeypatch: pytest.MonkeyPatch, finish: str
) -> None:
    import storage.zip

    def refuse(directory: str) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    store = ZipStore(path, fsync=True)
    store.put("a", b"1")
    monkeypatch.setattr(storage.zip, "fsync_directory", refuse)
    with pytest.raises(StoreError) as caught:
        getattr(store, finish)()
    assert "Invalid argument" in str(caught.value) and caught.value.operation == finish
    monkeypatch.undo()
    assert members(path) == {"a": b"1"}  # the new archive is in place, only its directory was not synced
    assert store.get("a") == b"1"
    store.put("b", b"2")
    store.close()
    assert members(path) == {"a": b"1", "b": b"2"}


def test_put_keeps_bytes_and_copies_mutable_values(path: Path) -> None:
    data, mutable = b"immutable", bytearray(b"mutable")
    with ZipStore(path) as store:
        store.put("bytes", data)
        store.put("bytearray", mutable)
        mutable[:] = b"changed"
        assert store.get("bytes") is data and store.get("bytearray") == b"mutable"
    assert members(path) == {"bytes": b"immutable", "bytearray": b"mutable"}


def test_empty_store_creates_an_empty_archive(path: Path) -> None:
    with ZipStore(path):
        pass
    assert members(path) == {}


@pytest.mark.parametrize("mode", ["a", "r"])
def test_an_empty_file_is_an_empty_archive(path: Path, mode: str) -> None:
    path.touch()
    os.chmod(path, 0o600)
    with ZipStore(path, mode=mode) as store:
        assert list(store.keys()) == [] and not store.exists("k")
        with pytest.raises(ObjectNotFound):
            store.get("k")
        if mode == "a":
            store.put("k", b"v")
    if mode == "a":
        assert members(path) == {"k": b"v"} and (path.stat().st_mode & 0o777) == 0o600
    else:
        assert path.read_bytes() == b""


def test_a_symlinked_archive_is_rewritten_through_the_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "releases" / "v1.zip"
    real.parent.mkdir()
    with ZipStore(real) as store:
        store.put("a", b"1")
    os.chmod(real, 0o640)
    link, dangling = tmp_path / "current.zip", tmp_path / "next.zip"
    link.symlink_to(real)
    dangling.symlink_to(real.parent / "v2.zip")
    replaced: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda source, target: (replaced.append(source), real_replace(source, target)))
    with ZipStore(link) as store:
        store.put("b", b"2")
    with ZipStore(dangling) as store:
        store.put("c", b"3")
    assert link.is_symlink() and dangling.is_symlink()
    assert members(real) == {"a": b"1", "b": b"2"} and (real.stat().st_mode & 0o777) == 0o640
    assert members(real.parent / "v2.zip") == {"c": b"3"}
    assert [os.path.dirname(source) for source in replaced] == [str(real.parent)] * 2
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


def test_rewrite_keeps_the_file_mode(path: Path) -> None:
    with ZipStore(path) as store:
        store.put("k", b"v")
    os.chmod(path, 0o640)
    with ZipStore(path) as store:
        store.put("k", b"w")
    assert (path.stat().st_mode & 0o777) == 0o640


def test_get_and_exists_never_scan_the_archive(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(2000):
            archive.writestr(f"k/{i}", str(i).encode())
    store = ZipStore(path, mode="r")
    store.open()

    def refuse(*args: Any) -> None:
        raise AssertionError("the archive's member list was scanned")

    for name in ("namelist", "infolist", "getinfo"):
        monkeypatch.setattr(zipfile.ZipFile, name, refuse)
    for i in range(0, 2000, 7):
        assert store.get(f"k/{i}") == str(i).encode()
        assert store.exists(f"k/{i}")
        assert not store.exists(f"k/{i}/x")
    store.close()


# Archives made by other tools --------------------------------------------------------------


def test_reads_python_zipfile_archives(python_archive: Path) -> None:
    with ZipStore(python_archive, mode="r") as store:
        assert sorted(store.keys()) == ["d/deflated", "d/stored", "top"]
        assert store.get("d/stored") == b"s" * 100
        assert store.get("d/deflated") == b"d" * 100
        assert not store.exists("d")
        assert sorted(store.keys("d/")) == ["d/deflated", "d/stored"]


@pytest.mark.parametrize("name", UNSAFE)
def test_escaping_member_names_are_refused(python_archive: Path, name: str) -> None:
    with ZipStore(python_archive, mode="r") as store:
        for call in (store.get, store.exists):
            with pytest.raises(InvalidKey):
                call(name)
        assert name not in list(store.keys())


def test_directory_entries_are_not_keys(python_archive: Path) -> None:
    with ZipStore(python_archive) as store:
        with pytest.raises(InvalidKey):
            store.get("d/")
        with pytest.raises(ObjectNotFound):
            store.get("d")
        with pytest.raises(ObjectNotFound):
            store.delete("d")


def test_rewrite_keeps_members_it_does_not_serve(python_archive: Path) -> None:
    before = members(python_archive)
    with ZipStore(python_archive) as store:
        store.put("added", b"+")
        store.delete("top")
    after = members(python_archive)
    expected = {name: data for name, data in before.items() if name != "top"}
    assert after == {**expected, "added": b"+"}
    with zipfile.ZipFile(python_archive) as archive:
        assert archive.getinfo("d/stored").compress_type == zipfile.ZIP_STORED
        assert archive.getinfo("d/deflated").compress_type == zipfile.ZIP_DEFLATED
        assert archive.getinfo("d/").is_dir()


def test_reads_and_updates_info_zip_archives(tmp_path: Path) -> None:
    assert shutil.which("zip") and shutil.which("unzip"), "Info-ZIP zip/unzip are needed (apt-get install zip unzip)"
    tree = tmp_path / "tree"
    (tree / "sub" / "deeper").mkdir(parents=True)
    (tree / "empty").mkdir()
    (tree / "a.txt").write_bytes(b"alpha")
    (tree / "sub" / "b.bin").write_bytes(bytes(range(256)) * 40)
    (tree / "sub" / "deeper" / "c").write_bytes(b"")
    archive = tmp_path / "infozip.zip"
    subprocess.run(["zip", "-q", "-r", str(archive), "."], cwd=tree, check=True)
    with zipfile.ZipFile(archive) as check:
        assert "sub/" in check.namelist() and "empty/" in check.namelist()
    with ZipStore(archive, mode="r") as store:
        assert sorted(store.keys()) == ["a.txt", "sub/b.bin", "sub/deeper/c"]
        assert store.get("sub/b.bin") == bytes(range(256)) * 40
        assert store.get("sub/deeper/c") == b""
        assert not store.exists("empty")
    with ZipStore(archive) as store:
        store.put("sub/new", b"n")
        store.delete("a.txt")
    subprocess.run(["unzip", "-tq", str(archive)], check=True, capture_output=True)
    listing = subprocess.run(["unzip", "-Z1", str(archive)], check=True, capture_output=True, text=True).stdout
    assert sorted(listing.split()) == ["empty/", "sub/", "sub/b.bin", "sub/deeper/", "sub/deeper/c", "sub/new"]


def test_rewrite_copies_untouched_members_as_they_are_stored(tmp_path: Path, info_zip: None) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "doc.txt").write_bytes(b"hello " * 100)
    (tree / "sub" / "b.bin").write_bytes(bytes(range(256)) * 40)
    os.utime(tree / "doc.txt", (1700000001, 1700000001))  # an odd second: only the UT extra field holds it
    archive = tmp_path / "infozip.zip"
    subprocess.run(["zip", "-q", "-r", str(archive), "."], cwd=tree, check=True)
    before = raw_members(archive)
    assert extra_ids(before["doc.txt"][-3]) == [0x5455, 0x7875]  # local UT and ux fields
    with ZipStore(archive) as store:
        store.put("other", b"x")
    after = raw_members(archive)
    after.pop("other")
    assert after == before
    subprocess.run(["unzip", "-q", str(archive), "doc.txt", "-d", str(tmp_path / "out")], check=True)
    assert (tmp_path / "out" / "doc.txt").stat().st_mtime == 1700000001


def test_streamed_members_keep_their_data_descriptor(path: Path, info_zip: None) -> None:
    stream = Unseekable()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("stored", b"s" * 100, compress_type=zipfile.ZIP_STORED)
        archive.writestr("deflated", b"d" * 100, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(stream.getvalue())
    before = raw_members(path)
    assert all(fields[2] & 0x08 and fields[-1][:4] == b"PK\x07\x08" for fields in before.values())
    with ZipStore(path) as store:
        store.put("new", b"n")
    after = raw_members(path)
    after.pop("new")
    assert after == before
    assert members(path) == {"stored": b"s" * 100, "deflated": b"d" * 100, "new": b"n"}
    subprocess.run(["unzip", "-tq", str(path)], check=True, capture_output=True)


def test_zip64_fields_follow_the_new_archive(path: Path, monkeypatch: pytest.MonkeyPatch, info_zip: None) -> None:
    data = {"stored": b"s" * 1500, "deflated": os.urandom(1500), "small": b"x"}
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1000)  # zip64 in miniature: sizes and offsets above 1000 need it
    stream = Unseekable()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("stored", data["stored"], compress_type=zipfile.ZIP_STORED)
        archive.writestr("deflated", data["deflated"], compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(stream.getvalue())
    monkeypatch.undo()
    with ZipStore(path) as store:  # no zip64 needed any more: none is written
        store.put("small", b"x")
    assert members(path) == data
    subprocess.run(["unzip", "-tq", str(path)], check=True, capture_output=True)
    assert all(1 not in extra_ids(fields[10]) + extra_ids(fields[11]) for fields in raw_members(path).values())
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1000)
    with ZipStore(path) as store:  # zip64 needed again: written where sizes or offsets need it
        store.put("new", b"n")
    monkeypatch.undo()
    assert members(path) == {**data, "new": b"n"}
    subprocess.run(["unzip", "-tq", str(path)], check=True, capture_output=True)
    with zipfile.ZipFile(path) as archive:
        central = {info.filename: extra_ids(info.extra) for info in archive.infolist()}
    local = {name: extra_ids(fields[11]) for name, fields in raw_members(path).items()}
    assert central == {"stored": [1], "deflated": [1], "small": [1], "new": [1]}
    assert local == {"stored": [1], "deflated": [1], "small": [], "new": []}


def test_encrypted_members_are_refused_and_kept(tmp_path: Path, info_zip: None) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "plain.txt").write_bytes(b"plain")
    (tree / "secret.txt").write_bytes(b"secret " * 20)
    archive = tmp_path / "encrypted.zip"
    subprocess.run(["zip", "-q", str(archive), "plain.txt"], cwd=tree, check=True)
    subprocess.run(["zip", "-q", "-e", "-P", "pw", str(archive), "secret.txt"], cwd=tree, check=True)
    before = raw_members(archive)
    with ZipStore(archive) as store:
        assert store.get("plain.txt") == b"plain"
        for call in (store.get, store.open_read, lambda key: store.get_range(key, 0, 2)):
            with pytest.raises(UnsupportedOperation) as caught:
                call("secret.txt")
            assert "encrypted" in str(caught.value) and "'secret.txt'" in str(caught.value)
        store.put("new", b"n")
    after = raw_members(archive)
    after.pop("new")
    assert after == before
    subprocess.run(["unzip", "-tq", "-P", "pw", str(archive)], check=True, capture_output=True)
    with zipfile.ZipFile(archive) as check:
        assert check.read("secret.txt", pwd=b"pw") == b"secret " * 20 and check.read("new") == b"n"


def set_compression_method(path: Path, name: str, method: int) -> None:
    """Mark the member ``name`` as compressed with ``method`` in both of its headers."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local, central = archive.getinfo(name).header_offset, archive.start_dir
    struct.pack_into("<H", raw, local + 8, method)
    while raw[central : central + 4] == b"PK\x01\x02":
        lengths = struct.unpack_from("<HHH", raw, central + 28)
        if raw[central + 46 : central + 46 + lengths[0]] == name.encode():
            struct.pack_into("<H", raw, central + 10, method)
        central += 46 + sum(lengths)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("method", [9, 98])  # deflate64 and PPMd, which zipfile cannot decompress
def test_members_of_an_unknown_compression_are_refused_and_kept(path: Path, method: int) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("plain", b"plain")
        archive.writestr("odd", b"opaque bytes")
    set_compression_method(path, "odd", method)
    before = raw_members(path)
    with ZipStore(path) as store:
        for call in (store.get, store.open_read, lambda key: store.get_range(key, 0, 2)):
            with pytest.raises(UnsupportedOperation) as caught:
                call("odd")
            assert "'odd'" in str(caught.value)
        store.put("new", b"n")
    after = raw_members(path)
    after.pop("new")
    assert after == before and before["odd"][1] == method
    with zipfile.ZipFile(path) as check:
        assert check.read("plain") == b"plain" and check.read("new") == b"n"


# Read-only mode ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.put("k", b"new"),
        lambda s: s.put("fresh", b"new"),
        lambda s: s.delete("k"),
        lambda s: s.put_many({"k": b"new"}),
        lambda s: s.delete_many(["k"]),
    ],
)
def test_read_only_mode_refuses_writes_and_never_changes_the_file(path: Path, call: Any) -> None:
    with ZipStore(path) as store:
        store.put("k", b"v")
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    store = ZipStore(path, mode="r")
    assert not store.capabilities.write and not store.capabilities.delete and store.capabilities.listing
    with pytest.raises(UnsupportedOperation) as caught:
        call(store)
    assert isinstance(caught.value, NotImplementedError)
    assert store.get("k") == b"v"
    store.flush()
    store.close()
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime
    assert leftovers(path.parent) == []


def test_read_only_mode_needs_an_archive(path: Path) -> None:
    store = ZipStore(path, mode="r")
    with pytest.raises(StoreError) as caught:
        store.get("k")
    assert "does not exist" in str(caught.value)
    store.close()
    assert not path.exists()


# Compression -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "compress_type"),
    [
        ({"compression": "stored"}, zipfile.ZIP_STORED),
        ({"compression": zipfile.ZIP_STORED}, zipfile.ZIP_STORED),
        ({}, zipfile.ZIP_DEFLATED),
        ({"compression": "DEFLATED", "compresslevel": 9}, zipfile.ZIP_DEFLATED),
        ({"compression": zipfile.ZIP_DEFLATED, "compresslevel": 0}, zipfile.ZIP_DEFLATED),
    ],
)
def test_compression_options(path: Path, options: dict[str, Any], compress_type: int) -> None:
    data = b"compress me " * 1000
    with ZipStore(path, **options) as store:
        store.put("k", data)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("k")
        assert info.compress_type == compress_type
        assert archive.read("k") == data
    if compress_type == zipfile.ZIP_DEFLATED and options.get("compresslevel") != 0:
        assert info.compress_size < len(data) // 10


@pytest.mark.parametrize(
    "options",
    [{"mode": "w"}, {"mode": "x"}, {"compression": "lzma"}, {"compression": 99}, {"compresslevel": 10},
     {"compresslevel": -1}, {"compresslevel": "9"}, {"compresslevel": True}],
)
def test_bad_options_are_config_errors(path: Path, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ZipStore(path, **options)
    assert not path.exists()


# Bad input changes nothing -----------------------------------------------------------------


@pytest.fixture
def saved(path: Path) -> Iterator[ZipStore]:
    with ZipStore(path) as store:
        store.put("keep", b"old")
    store = ZipStore(path)
    yield store
    store.close()
    assert members(path) == {"keep": b"old"}


@pytest.mark.parametrize("key", ["/abs", "a/../b", "a//b", "./a", "a/.", "a\\b", "a\x00b", "end/", "", "x" * 256, 5])
def test_escaping_keys_are_refused_everywhere(saved: ZipStore, key: Any) -> None:
    for call in (
        lambda: saved.put(key, b"v"),
        lambda: saved.get(key),
        lambda: saved.exists(key),
        lambda: saved.delete(key),
        lambda: saved.put_many({"keep": b"new", key: b"v"}),
        lambda: saved.delete_many(["keep", key]),
    ):
        with pytest.raises(InvalidKey):
            call()


@pytest.mark.parametrize("prefix", ["/abs", "../", "a//", "a\\b", 3])
def test_bad_prefixes_are_refused(saved: ZipStore, prefix: Any) -> None:
    with pytest.raises(InvalidKey):
        saved.keys(prefix)


@pytest.mark.parametrize("value", ["text", 1, None])
def test_non_bytes_in_a_batch_changes_nothing(saved: ZipStore, value: Any) -> None:
    with pytest.raises(InvalidValue):
        saved.put_many([("keep", b"new"), ("other", b"x"), ("bad", value)])
    assert saved.get("keep") == b"old"
    assert not saved.exists("other")


# Backend errors become typed errors --------------------------------------------------------


def test_corrupt_archive_is_an_integrity_error(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 but not really a zip archive" * 10)
    store = ZipStore(path)
    with pytest.raises(IntegrityError) as caught:
        store.exists("k")
    assert isinstance(caught.value.__cause__, zipfile.BadZipFile)
    assert str(path) in str(caught.value)
    store.close()
    assert path.read_bytes() == b"PK\x03\x04 but not really a zip archive" * 10


def test_damaged_member_is_an_integrity_error(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("k", b"A" * 64)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"A" * 64, b"A" * 63 + b"B"))
    with ZipStore(path, mode="r") as store:
        with pytest.raises(IntegrityError) as caught:
            store.get("k")
    assert "get" in str(caught.value) and "'k'" in str(caught.value)


@pytest.mark.parametrize("header", ["central", "local"])
def test_a_member_name_that_is_not_utf8_is_an_integrity_error(path: Path, header: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ok", b"fine")
        archive.writestr("\u00e9.txt", b"data")  # not ASCII: the name is flagged UTF-8
    raw, name = path.read_bytes(), "\u00e9.txt".encode()
    local = raw.index(name)
    at = raw.index(name, local + 1) if header == "central" else local
    path.write_bytes(raw[:at] + b"\xff\xfe.txt" + raw[at + len(name) :])
    store = ZipStore(path, mode="r")
    calls = [lambda: store.get("ok")] if header == "central" else [
        lambda: store.get("\u00e9.txt"), lambda: store.open_read("\u00e9.txt")
    ]
    for call in calls:
        with pytest.raises(IntegrityError) as caught:
            call()
        assert isinstance(caught.value.__cause__, UnicodeDecodeError)
    store.close()


def test_failed_flush_keeps_the_changes_pending(path: Path) -> None:
    store = ZipStore(path)
    store.put("k", b"v")
    (path / "in-the-way").mkdir(parents=True)
    with pytest.raises(StoreError) as caught:
        store.flush()
    assert isinstance(caught.value.__cause__, OSError) and "flush" in str(caught.value)
    assert store.get("k") == b"v"
    assert leftovers(path.parent) == []
    shutil.rmtree(path)
    store.close()
    assert members(path) == {"k": b"v"}


def test_failed_replace_keeps_the_old_archive_readable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ZipStore(path)
    store.put("old", b"1")
    store.flush()
    store.put("new", b"2")

    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionDenied):
        store.flush()
    monkeypatch.undo()
    assert store.get("old") == b"1" and store.get("new") == b"2"
    assert members(path) == {"old": b"1"}
    assert leftovers(path.parent) == []
    store.close()
    assert members(path) == {"old": b"1", "new": b"2"}


@pytest.mark.parametrize("operation", ["put", "put_many", "delete", "delete_many", "rename", "keys"])
def test_a_call_waiting_while_close_writes_the_archive_is_refused(path: Path, operation: str) -> None:
    store = ZipStore(path)
    store.put("kept", b"1")
    calls = {
        "put": lambda: store.put("late", b"2"),
        "put_many": lambda: store.put_many({"late": b"2"}),
        "delete": lambda: store.delete("kept"),
        "delete_many": lambda: store.delete_many(["kept"]),
        "rename": lambda: store.rename("kept", "late"),
        "keys": lambda: list(store.keys()),
    }
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            calls[operation]()
        except BaseException as err:
            outcome.append(err)

    with store._lock:  # the waiting call has passed its open check and waits for the lock
        waiting = threading.Thread(target=call)
        waiting.start()
        waiting.join(0.2)
        store.close()
    waiting.join()
    assert len(outcome) == 1 and isinstance(outcome[0], StoreClosed)
    assert members(path) == {"kept": b"1"}


def test_failed_close_keeps_the_changes_pending(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ZipStore(path) as store:
        store.put("old", b"1")
    store = ZipStore(path)
    store.put("new", b"2")

    def refuse(source: str, target: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StoreError) as caught:
        store.close()
    assert "close" in str(caught.value) and isinstance(caught.value.__cause__, OSError)
    monkeypatch.undo()
    assert not store.closed and store.get("old") == b"1" and store.get("new") == b"2"
    assert members(path) == {"old": b"1"} and leftovers(path.parent) == []
    store.close()
    assert store.closed and members(path) == {"old": b"1", "new": b"2"}


def test_failed_replace_and_reopen_is_a_store_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ZipStore(path)
    store.put("old", b"1")
    store.flush()
    store.put("new", b"2")
    refused = OSError(errno.ENOSPC, "No space left on device")

    def refuse(source: str, target: str) -> None:
        os.unlink(target)  # and the archive is gone, so it cannot be reopened
        raise refused

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StoreError) as caught:
        store.flush()
    assert "flush" in str(caught.value) and "No space left" in str(caught.value)
    assert caught.value.__cause__ is refused and isinstance(caught.value.__context__, FileNotFoundError)
    assert store.get("new") == b"2" and leftovers(path.parent) == []
    with pytest.raises(StoreError):
        store.get("old")
    with pytest.raises(StoreError):  # never an archive silently without the members it can no longer read
        store.flush()
    assert not path.exists()


# Threads and pickling ----------------------------------------------------------------------


def test_threads_share_one_store(path: Path) -> None:
    store = ZipStore(path)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(50):
                store.put(f"t{worker}/{i}", b"v")
                if i % 10 == 0:
                    store.flush()
                    list(store.keys())
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert errors == []
    assert len(members(path)) == 300


def test_pickles_configuration_and_reopens(path: Path) -> None:
    store = ZipStore(path, compression="stored", compresslevel=None)
    store.put("k", b"v")
    store.flush()
    clone = pickle.loads(pickle.dumps(store))
    assert clone.get("k") == b"v"
    assert (clone.mode, clone.compression) == ("a", zipfile.ZIP_STORED)
    clone.close()
    store.close()
