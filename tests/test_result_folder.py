"""The result folder as one unit (twin.io.result_folder), in process: the paths a kill cannot hit
on purpose (a full disk mid-write, a crash between the two renames of the fallback swap)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from twin import api
from twin.errors import InputError
from twin.experiment.settings import Settings
from twin.io import result_folder
from twin.io.output import atomic_write_text
from twin.io.result_folder import ResultFolder, check_same_run, is_complete

SHORT = Settings(days=0.5, warmup_days=0.1, replications=2)


def write_result(folder: ResultFolder, value: str, complete: bool = True) -> Path:
    (folder.staging / "kpis.json").write_text(json.dumps({"value": value}) + "\n")
    (folder.staging / "kpis.csv").write_text(f"value\n{value}\n")
    return folder.publish(complete)


def test_publish_swaps_the_whole_folder_and_stamps_every_document(tmp_path):
    out = tmp_path / "r"
    with ResultFolder(out, "test") as folder:
        assert not out.exists()  # nothing appears before publish
        assert write_result(folder, "one") == out
    doc = json.loads((out / "kpis.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert doc == {"value": "one", "run_id": folder.run_id}
    assert manifest["run_id"] == folder.run_id and manifest["complete"] is True
    assert set(manifest["files"]) == {"kpis.json", "kpis.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no lock, no staging left


def test_a_disk_error_while_writing_keeps_the_previous_result(tmp_path, monkeypatch):
    out = tmp_path / "r"
    api.run("demo-small", None, SHORT, out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("twin.api.write_run", full_disk)  # as api imports it
    with pytest.raises(InputError, match=r"No space left on device.*earlier result there is kept"):
        api.run("demo-small", None, SHORT, out=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_without_renameat2_the_two_rename_swap_is_used(tmp_path, monkeypatch):
    monkeypatch.setattr(result_folder, "exchange", lambda a, b: False)
    out = tmp_path / "r"
    for value in ("one", "two"):
        with ResultFolder(out, "test") as folder:
            write_result(folder, value)
    assert json.loads((out / "kpis.json").read_text())["value"] == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_crash_between_the_two_renames_is_repaired_by_the_next_writer(tmp_path):
    out = tmp_path / "r"
    with ResultFolder(out, "test") as folder:
        write_result(folder, "one")
    # the killed writer had moved the complete result aside and not yet put its own in place
    out.rename(tmp_path / ".r.old-20260101T000000-abcdef")
    (tmp_path / ".r.staging-20260101T000000-abcdef").mkdir()
    with ResultFolder(out, "test"):
        assert json.loads((out / "kpis.json").read_text())["value"] == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_partial_result_goes_beside_a_complete_one_and_replaces_a_partial(tmp_path):
    out = tmp_path / "r"
    with ResultFolder(out, "test") as folder:
        assert write_result(folder, "partial-1", complete=False) == out  # nothing to keep
    with ResultFolder(out, "test") as folder:
        assert write_result(folder, "complete") == out  # replaces the partial one
    with ResultFolder(out, "test") as folder:
        assert write_result(folder, "partial-2", complete=False) == tmp_path / "r.partial"
    assert is_complete(out) and not is_complete(tmp_path / "r.partial")
    assert json.loads((out / "kpis.json").read_text())["value"] == "complete"


def test_a_second_writer_in_the_same_process_is_refused(tmp_path):
    out = tmp_path / "r"
    refused = pytest.raises(InputError, match=r"another parktwin process \(pid \d+ .*first writer")
    with ResultFolder(out, "first writer"), refused:
        ResultFolder(out, "second writer")
    with ResultFolder(out, "third writer") as folder:  # released: free again
        write_result(folder, "x")


def test_a_changed_file_is_found_by_its_digest(tmp_path):
    out = tmp_path / "r"
    with ResultFolder(out, "test") as folder:
        write_result(folder, "one")
    check_same_run(out, "kpis.csv")
    (out / "kpis.csv").write_text("value\nforged\n")
    with pytest.raises(InputError, match=r"kpis.csv.*differs from the kpis.csv that run"):
        check_same_run(out, "kpis.csv")


def test_destination_checks_name_the_problem(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        ResultFolder(tmp_path / "file", "test")
    with pytest.raises(InputError, match=r"is under .*file, which is a file"):
        ResultFolder(tmp_path / "file" / "deeper" / "r", "test")
    with pytest.raises(InputError, match=r"needs about .* of free space"):
        ResultFolder(tmp_path / "big", "test", expected_bytes=1 << 60)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_every_file_and_folder_is_flushed_once_before_the_folder_is_published(
    tmp_path, monkeypatch
):
    flushed: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def fill(folder: Path) -> None:
        atomic_write_text(folder / "kpis.json", '{"value": 1}\n')
        atomic_write_text(folder / "sub" / "kpis.csv", "value\n1\n")

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "r"
    with ResultFolder(out, "test") as folder:
        staging = str(folder.staging)
        folder.write(fill)
    files = [f"{staging}/{name}" for name in ("kpis.json", "sub/kpis.csv", "manifest.json")]
    folders = [staging, f"{staging}/sub"]
    assert sorted(p for p in flushed if p.startswith(staging)) == sorted(files + folders)
    assert flushed[-1] == str(tmp_path)  # the rename into place, after everything in it
    atomic_write_text(out / "loose.txt", "x")  # outside a result folder, flushed at once
    assert flushed[-2].startswith(str(out / ".loose.txt.")) and flushed[-1] == str(out)
