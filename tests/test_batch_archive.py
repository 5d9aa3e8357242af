"""A zip of submissions (grader.batch.archive): Canvas's submissions.zip graded through the
command, unpacked into OUT/_extracted; hostile archives refused whole, with nothing written
anywhere (a refusal found while decompressing leaves only an empty OUT)."""

from __future__ import annotations

import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from batch_support import SECRET, SUBMISSIONS, clean_env, grader_cli
from environment_support import UntrustedGrading

from grader.batch.archive import EXTRACTED, ArchiveLimits, extract_zip, submissions_folder
from grader.batch.discover import discover
from grader.errors import SubmissionFileError


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return path


def files_under(root: Path) -> dict[str, int]:
    """Every file (and link) under ``root``, with its size: what a run may have written."""
    return {str(p.relative_to(root)): p.lstat().st_size for p in root.rglob("*") if not p.is_dir()}


def test_a_canvas_submissions_zip_is_graded(tmp_path: Path, untrusted: UntrustedGrading) -> None:
    archive = make_zip(
        tmp_path / "submissions.zip",
        {
            "annlee_101_9_hw.py": (SUBMISSIONS / "correct_vectorized.py").read_bytes(),
            "bobkim_LATE_102_9_hw.py": (SUBMISSIONS / "mistake_sign_flip.py").read_bytes(),
        },
    )
    out = tmp_path / "out"
    env = clean_env(GRADER_SECRET=SECRET, **untrusted.env)
    proc = grader_cli("batch", archive, "--out", out, "--allow-unconfined", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "2 students found" in proc.stdout and "(canvas layout)" in proc.stdout
    assert sorted(files_under(out / EXTRACTED)) == [
        "annlee_101_9_hw.py",
        "bobkim_LATE_102_9_hw.py",
    ], "the graded files, kept for the instructor to see"
    gradebook = (out / "gradebook.csv").read_text()
    assert "annlee,annlee_101_9_hw.py,10," in gradebook
    assert "bobkim,bobkim_LATE_102_9_hw.py,0," in gradebook
    again = grader_cli("batch", archive, "--out", out, "--allow-unconfined", cwd=tmp_path, env=env)
    assert "graded 0, reused 2" in again.stdout, "unpacked again, the same bytes: resumed"


def bomb(path: Path, size_mib: int, declared: int | None = None) -> Path:
    """One member of ``size_mib`` MiB of zeros (a few hundred KiB compressed); ``declared``:
    the size its headers claim instead (a lie)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("bomb.py", "w") as f:
        for _ in range(size_mib):
            f.write(bytes(1 << 20))
    if declared is not None:
        with zipfile.ZipFile(path) as zf:
            (info,) = zf.infolist()
            directory = zf.start_dir
        data = bytearray(path.read_bytes())
        assert data[info.header_offset : info.header_offset + 4] == b"PK\x03\x04"
        assert data[directory : directory + 4] == b"PK\x01\x02"
        struct.pack_into("<I", data, info.header_offset + 22, declared)  # local header
        struct.pack_into("<I", data, directory + 24, declared)  # central directory
        path.write_bytes(bytes(data))
    return path


def symlink_zip(path: Path) -> Path:
    info = zipfile.ZipInfo("link.py")
    info.create_system = 3  # Unix: the mode is in the high bits
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "../outside.py")
        zf.writestr("annlee_101_9_hw.py", "x = 1\n")
    return path


HOSTILE: list[tuple[str, Callable[[Path], Path], str]] = [
    # name, how to build it from the zip's path, words of the refusal
    ("traversal", lambda p: make_zip(p, {"../evil.py": b"x = 1\n"}), "'../evil.py' has '..'"),
    ("traversal-nested", lambda p: make_zip(p, {"a/../../evil.py": b""}), "has '..'"),
    ("traversal-backslash", lambda p: make_zip(p, {"..\\evil.py": b""}), "has '..'"),
    ("absolute", lambda p: make_zip(p, {str(p.parent / "evil.py"): b""}), "an absolute path"),
    ("drive", lambda p: make_zip(p, {"C:/evil.py": b""}), "an absolute path"),
    ("symlink", symlink_zip, "'link.py' is a symbolic link"),
    ("too-many", lambda p: make_zip(p, {f"f{i}.py": b"" for i in range(5001)}), "5001 members"),
    ("bomb", lambda p: bomb(p, 100), "'bomb.py' unpacks to 100 MiB"),  # said honestly
    ("bomb-lying", lambda p: bomb(p, 100, declared=1000), "'bomb.py'"),  # 1000 bytes, it says
]


@pytest.mark.parametrize(("build", "words"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_a_hostile_zip_is_refused_and_nothing_is_written(
    build: Callable[[Path], Path], words: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    archive = build(tmp_path / "in" / "submissions.zip")
    before = files_under(tmp_path)
    out = tmp_path / "in" / "out"
    proc = grader_cli("batch", archive, "--out", out, "--allow-unconfined", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is refused" in proc.stderr and words in proc.stderr, proc.stderr
    assert files_under(tmp_path) == before, "nothing extracted, inside the folder or out of it"
    assert not (out / "reports").exists()


def test_limits_on_the_bytes_that_come_out(tmp_path: Path) -> None:
    small = ArchiveLimits(max_member_bytes=1000, max_total_bytes=1500)
    two = make_zip(tmp_path / "two.zip", {"a.py": bytes(900), "b.py": bytes(900)})
    with pytest.raises(SubmissionFileError, match="unpacks to"):
        extract_zip(two, tmp_path / "x", small)  # each fits, not both
    liar = bomb(tmp_path / "liar.zip", 2, declared=500)
    with pytest.raises(SubmissionFileError, match=r"'bomb\.py'"):
        extract_zip(liar, tmp_path / "x", small)  # zipfile stops at 500 bytes: a bad CRC
    assert files_under(tmp_path) == {"two.zip": two.stat().st_size, "liar.zip": liar.stat().st_size}


def lying_count(path: Path) -> Path:
    """Ten members, the end record claiming one (zipfile reads them all anyway)."""
    make_zip(path, {f"f{i}.py": b"" for i in range(10)})
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 1, 1)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("build", "limits", "words"),
    [
        pytest.param(
            lambda p: make_zip(p, {f"f{i}.py": b"" for i in range(5)}),
            ArchiveLimits(max_directory_bytes=100), "its directory is", id="directory-size",
        ),  # read from the end record before zipfile loads the directory
        pytest.param(
            lying_count, ArchiveLimits(max_members=5), "it has 10 members", id="count-lies",
        ),  # the end record says 1: counted again in the directory
        pytest.param(
            lambda p: make_zip(p, {f"{i}": b"" for i in range(70_000)}), ArchiveLimits(),
            "it has 70000 members", id="zip64",
        ),  # past 65535 members the count is in the Zip64 end record
    ],
)  # fmt: skip
def test_the_directory_is_bounded(
    build: Callable[[Path], Path], limits: ArchiveLimits, words: str, tmp_path: Path
) -> None:
    archive = build(tmp_path / "s.zip")
    with pytest.raises(SubmissionFileError, match=words):
        extract_zip(archive, tmp_path / "out" / EXTRACTED, limits)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("members", "words"),
    [
        pytest.param({"a.py": b"1", "./a.py": b"2"}, "appears twice", id="duplicate"),
        pytest.param({"a.py": b"1", "a.py/b.py": b"2"}, "cannot be unpacked", id="file-as-folder"),
    ],
)  # fmt: skip
def test_members_that_collide_are_refused(
    members: dict[str, bytes], words: str, tmp_path: Path
) -> None:
    archive = make_zip(tmp_path / "s.zip", members)
    with pytest.raises(SubmissionFileError, match=words):
        extract_zip(archive, tmp_path / "out" / EXTRACTED, ArchiveLimits())
    assert files_under(tmp_path / "out") == {}


def test_other_compression_methods_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("a.py", "x = 1\n")
    with pytest.raises(SubmissionFileError, match="compression method 12"):
        extract_zip(archive, tmp_path / "x", ArchiveLimits())


def test_a_folder_is_used_as_is_and_a_rerun_replaces_the_extraction(tmp_path: Path) -> None:
    assert submissions_folder(tmp_path, tmp_path / "out") == tmp_path
    out = tmp_path / "out"
    first = make_zip(tmp_path / "1.zip", {"old.py": b"1", "sub/": b""})
    assert submissions_folder(first, out) == out / EXTRACTED
    assert files_under(out) == {f"{EXTRACTED}/old.py": 1}
    second = make_zip(tmp_path / "2.zip", {"new.py": b"22"})
    submissions_folder(second, out)
    assert files_under(out) == {f"{EXTRACTED}/new.py": 2}, "no file of the old zip left"


def test_a_gradescope_export_zip_is_read_from_its_wrapping_folder(tmp_path: Path) -> None:
    code = (SUBMISSIONS / "correct_loops.py").read_bytes()
    meta = b"submission_1:\n  :submitters:\n  - :sid: '42'\n"
    archive = make_zip(
        tmp_path / "export.zip",
        {
            "assignment_7_export/submission_metadata.yml": meta,
            "assignment_7_export/submission_1/hw.py": code,
        },
    )
    folder = submissions_folder(archive, tmp_path / "out")
    assert folder.name == "assignment_7_export"
    found = discover(folder)
    assert found.layout == "gradescope"
    assert [s.student for s in found.submissions] == ["42"]
