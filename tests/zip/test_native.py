"""ZipStore's native stat, get_range, copy, rename, put(if_absent), streaming and list_dir."""

from __future__ import annotations

import datetime
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator

import pytest

from storage._zipmembers import MemberReader
from storage.errors import AlreadyExists, IntegrityError, InvalidKey, ObjectNotFound, UnsupportedOperation
from storage.metadata import ListResult
from storage.validation import RESERVED_SEGMENT_PREFIX
from storage.zip import ZipStore

UTC = datetime.timezone.utc
DATA = bytes(range(256)) * 400


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "objects.zip"


@pytest.fixture
def archive(path: Path) -> Path:
    """An archive with a stored member (its local header carrying an extra field) and a deflated one."""
    with zipfile.ZipFile(path, "w") as out:
        stored = zipfile.ZipInfo("d/stored", (2021, 3, 4, 5, 6, 8))
        stored.extra = struct.pack("<HH", 0xCAFE, 4) + b"xtra"
        out.writestr(stored, DATA, compress_type=zipfile.ZIP_STORED)
        out.writestr(zipfile.ZipInfo("d/deflated", (2022, 1, 2, 3, 4, 6)), DATA, compress_type=zipfile.ZIP_DEFLATED)
        out.writestr(zipfile.ZipInfo("d/sub/x", (2020, 1, 1, 0, 0, 0)), b"x")
        out.writestr(zipfile.ZipInfo("zero-date", (1980, 0, 0, 0, 0, 0)), b"z")
    return path


@pytest.fixture
def store(archive: Path) -> Iterator[ZipStore]:
    with ZipStore(archive) as opened:
        yield opened


@pytest.fixture
def no_member_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decompressing read of a member through ``zipfile`` fail the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a member was read through zipfile")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "read", refuse)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as out:
        assert out.testzip() is None
        return {info.filename: out.read(info) for info in out.infolist()}


def test_capabilities_are_native(store: ZipStore, archive: Path) -> None:
    flags = store.capabilities
    assert flags.native_range and flags.native_conditional_write and flags.native_copy and flags.native_metadata
    read_only = ZipStore(archive, mode="r").capabilities
    assert read_only.native_range and not read_only.write and not read_only.delete


# stat ----------------------------------------------------------------------------------------


def test_stat_of_archived_members(store: ZipStore, archive: Path) -> None:
    with zipfile.ZipFile(archive) as out:
        crc = out.getinfo("d/deflated").CRC
    info = store.stat("d/deflated")
    assert (info.key, info.size, info.etag) == ("d/deflated", len(DATA), f"{crc:08x}")
    assert info.modified == datetime.datetime(2022, 1, 2, 3, 4, 6, tzinfo=UTC)
    assert store.stat("zero-date").modified is None
    with pytest.raises(ObjectNotFound):
        store.stat("d/missing")


def test_stat_of_a_pending_object_holds_after_flush(store: ZipStore) -> None:
    before = datetime.datetime.now(UTC)
    store.put("new", b"pending data")
    pending = store.stat("new")
    assert pending.size == 12 and pending.etag == f"{zlib.crc32(b'pending data'):08x}"
    assert pending.modified is not None and pending.modified.microsecond == 0 and pending.modified.second % 2 == 0
    assert before - datetime.timedelta(seconds=3) < pending.modified <= datetime.datetime.now(UTC)
    store.flush()
    assert store.stat("new") == pending


# get_range -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"), [(0, 10), (1000, 1256), (len(DATA) - 5, None), (len(DATA) + 3, None), (7, 7)]
)
def test_get_range_of_a_stored_member_reads_the_file_at_its_offset(
    store: ZipStore, no_member_reads: None, start: int, end: Any
) -> None:
    assert store.get_range("d/stored", start, end) == DATA[start:end]


def test_get_range_reads_the_archive_the_store_opened(path: Path) -> None:
    with ZipStore(path, compression="stored") as writer:
        writer.put("a", b"A" * 100)
        writer.put("b", b"B" * 100)
    with ZipStore(path, mode="r") as reader:
        assert reader.get_range("b", 0, 10) == b"B" * 10
        with ZipStore(path, compression="stored") as writer:  # b moves to where a was
            writer.delete("a")
            writer.put("c", b"C" * 100)
        assert reader.get_range("b", 0, 10) == b"B" * 10 and reader.get_range("b", 95) == b"B" * 5


@pytest.mark.parametrize(("start", "end"), [(0, 10), (50_000, 50_100), (len(DATA) - 5, None), (len(DATA) + 3, None)])
def test_get_range_of_a_deflated_member(
    store: ZipStore, monkeypatch: pytest.MonkeyPatch, start: int, end: Any
) -> None:
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *args: pytest.fail("the whole member was read"))
    assert store.get_range("d/deflated", start, end) == DATA[start:end]


def test_get_range_of_a_pending_object(store: ZipStore, no_member_reads: None) -> None:
    store.put("p", b"0123456789")
    assert store.get_range("p", 2, 5) == b"234"
    assert store.get_range("p", 8) == b"89"


def test_get_range_of_a_damaged_header_is_an_integrity_error(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as out:
        out.writestr("k", b"data")
    raw = bytearray(path.read_bytes())
    raw[0:4] = b"XXXX"
    path.write_bytes(bytes(raw))
    with ZipStore(path, mode="r") as store, pytest.raises(IntegrityError) as caught:
        store.get_range("k", 1, 2)
    assert "get_range" in str(caught.value) and "'k'" in str(caught.value)


# copy, rename, put(if_absent) -----------------------------------------------------------------


def test_copy_and_rename_only_change_the_index(store: ZipStore, archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.put("pending", b"p")
    with monkeypatch.context() as patched:
        patched.setattr(zipfile.ZipFile, "open", lambda *args: pytest.fail("a member was read"))
        patched.setattr(zipfile.ZipFile, "read", lambda *args: pytest.fail("a member was read"))
        store.copy("d/deflated", "copies/deflated")
        store.rename("d/stored", "moved/stored")
        store.rename("pending", "moved/pending")
        store.copy("moved/pending", "copies/pending")
        store.rename("d/sub/x", "zero-date")
    assert store.get("copies/deflated") == DATA and store.get("moved/stored") == DATA
    store.flush()
    assert members(archive) == {
        "d/deflated": DATA, "copies/deflated": DATA, "moved/stored": DATA,
        "moved/pending": b"p", "copies/pending": b"p", "zero-date": b"x",
    }
    assert store.stat("moved/stored").modified == datetime.datetime(2021, 3, 4, 5, 6, 8, tzinfo=UTC)
    with zipfile.ZipFile(archive) as out:
        assert out.getinfo("moved/stored").extra == struct.pack("<HH", 0xCAFE, 4) + b"xtra"
    assert store.get_range("moved/stored", 300, 310) == DATA[300:310]


def test_copy_and_rename_of_missing_keys_change_nothing(store: ZipStore) -> None:
    for call in (store.copy, store.rename):
        with pytest.raises(ObjectNotFound) as caught:
            call("missing", "d/stored")
        assert "missing" in str(caught.value)
    assert store.get("d/stored") == DATA
    store.rename("d/stored", "d/stored")
    assert store.get("d/stored") == DATA


def test_put_if_absent_checks_the_index(store: ZipStore) -> None:
    with pytest.raises(AlreadyExists) as caught:
        store.put("d/stored", b"new", if_absent=True)
    assert "d/stored" in str(caught.value)
    store.put("fresh", b"1", if_absent=True)
    with pytest.raises(AlreadyExists):
        store.put("fresh", b"2", if_absent=True)
    assert store.get("fresh") == b"1" and store.get("d/stored") == DATA


# Streaming -----------------------------------------------------------------------------------


def test_open_read_streams_a_member_across_a_flush(store: ZipStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *args: pytest.fail("the whole member was read"))
    with store.open_read("d/deflated") as reader:
        assert isinstance(reader, MemberReader)
        head = reader.read(1000)
        store.put("other", b"o")
        store.delete("d/sub/x")
        store.flush()
        rest = reader.read()
        assert reader.seek(10) == 10 and reader.tell() == 10 and reader.read1(5) == DATA[10:15]
    assert head + rest == DATA
    store.put("pending", b"o")
    with store.open_read("pending") as pending:
        assert isinstance(pending, io.BytesIO) and pending.read() == b"o"


def test_open_read_of_a_damaged_member_is_an_integrity_error(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as out:
        out.writestr("k", b"A" * 64)
    path.write_bytes(path.read_bytes().replace(b"A" * 64, b"A" * 63 + b"B"))
    with ZipStore(path, mode="r") as store, store.open_read("k") as reader, pytest.raises(IntegrityError) as caught:
        reader.read()
    assert "open_read" in str(caught.value) and "'k'" in str(caught.value)


def test_open_write_becomes_a_pending_object_on_close(store: ZipStore, archive: Path) -> None:
    before = archive.read_bytes()
    with store.open_write("written") as writer:
        writer.write(b"part one, ")
        writer.write(b"part two")
        assert any(name.startswith(RESERVED_SEGMENT_PREFIX) for name in os.listdir(archive.parent))
    assert store.get("written") == b"part one, part two"
    assert archive.read_bytes() == before
    assert [name for name in os.listdir(archive.parent) if name.startswith(RESERVED_SEGMENT_PREFIX)] == []
    store.flush()
    assert members(archive)["written"] == b"part one, part two"


def test_discarded_writer_leaves_nothing(store: ZipStore, archive: Path) -> None:
    writer = store.open_write("d/stored")
    writer.write(b"new")
    writer.discard()  # type: ignore[attr-defined]
    assert store.get("d/stored") == DATA
    assert [name for name in os.listdir(archive.parent) if name.startswith(RESERVED_SEGMENT_PREFIX)] == []


# list_dir ------------------------------------------------------------------------------------


def test_list_dir_from_the_index(store: ZipStore, no_member_reads: None) -> None:
    store.put("d/pending", b"")
    assert store.list_dir("d/") == ListResult(["d/deflated", "d/pending", "d/stored"], ["d/sub/"])
    assert store.list_dir() == ListResult(["zero-date"], ["d/"])


# Bad input and read-only mode change nothing ------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.stat("../x"),
        lambda s: s.get_range("/abs", 0),
        lambda s: s.copy("d/stored", "a//b"),
        lambda s: s.copy("..", "x"),
        lambda s: s.rename("d/stored", "x\\y"),
        lambda s: s.put("a/./b", b"v", if_absent=True),
        lambda s: s.list_dir("../"),
        lambda s: s.open_read("end/"),
        lambda s: s.open_write("a\x00b"),
    ],
)
def test_invalid_keys_change_nothing(store: ZipStore, archive: Path, call: Any) -> None:
    with pytest.raises(InvalidKey):
        call(store)
    assert sorted(store.keys()) == ["d/deflated", "d/stored", "d/sub/x", "zero-date"]
    assert [name for name in os.listdir(archive.parent) if name != archive.name] == []


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.copy("d/stored", "c"),
        lambda s: s.rename("d/stored", "c"),
        lambda s: s.put("c", b"v", if_absent=True),
        lambda s: s.open_write("c"),
    ],
)
def test_read_only_mode_refuses_the_new_writes(archive: Path, call: Any) -> None:
    before = archive.read_bytes()
    with ZipStore(archive, mode="r") as store:
        with pytest.raises(UnsupportedOperation):
            call(store)
        assert not store.exists("c") and store.get("d/stored") == DATA
    assert archive.read_bytes() == before
    assert os.listdir(archive.parent) == [archive.name]
