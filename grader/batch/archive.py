"""A zip of submissions (Canvas's ``submissions.zip``) unpacked safely into a folder to grade.

The zip is untrusted input, so extraction checks everything before writing anything:

- the member count and the central directory's size, read from the zip's end record before
  :mod:`zipfile` loads the directory into memory, then the count again from the directory;
- each member's name: refused if absolute (``/x``, ``C:x``), if a part of it is ``..``, or if
  it would land outside the folder once resolved (backslashes count as separators);
- each member's type: a symbolic link or any other special file is refused (only files and
  folders are ever created, never through a link: ``O_NOFOLLOW``, ``O_EXCL``);
- sizes: each member's and the total, first as declared, then as actually decompressed, read
  in chunks and stopped at the cap, so a header that lies about its size changes nothing;
- only stored or deflated, unencrypted members (other methods decompress without a bound).

Any refusal is a :class:`~grader.errors.SubmissionFileError` naming the member, and leaves
nothing behind. The files go to ``OUT/_extracted`` (replaced on each run), where the
instructor can see exactly what was graded.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from grader.batch.discover import GRADESCOPE_METADATA
from grader.errors import SubmissionFileError

EXTRACTED = "_extracted"
_CHUNK = 1 << 16
_EOCD, _EOCD_SIZE = b"PK\x05\x06", 22
_ZIP64_LOCATOR, _ZIP64_LOCATOR_SIZE = b"PK\x06\x07", 20
_ZIP64_EOCD, _ZIP64_EOCD_SIZE = b"PK\x06\x06", 56
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveLimits(BaseModel):
    """Caps on what one zip may unpack to."""

    model_config = ConfigDict(frozen=True)

    max_members: int = 5000
    max_member_bytes: int = 64 << 20
    max_total_bytes: int = 512 << 20
    #: The central directory (names and headers): read into memory whole by zipfile.
    max_directory_bytes: int = 16 << 20


def is_archive(path: Path) -> bool:
    """A file (not a folder) named ``*.zip`` or that is a zip."""
    return path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path))


def submissions_folder(path: Path, out: Path, limits: ArchiveLimits | None = None) -> Path:
    """The folder to discover submissions in: ``path`` itself, or when it is a zip, the
    folder it was extracted into (``out/_extracted``, replacing a previous run's). A Gradescope
    export zip wraps its folder in one more: the folder holding ``submission_metadata.yml``."""
    if not is_archive(path):
        return path
    folder = extract_zip(path, out / EXTRACTED, limits or ArchiveLimits())
    entries = list(folder.iterdir())
    if (
        len(entries) == 1
        and entries[0].is_dir()
        and not entries[0].is_symlink()
        and (entries[0] / GRADESCOPE_METADATA).is_file()
    ):
        return entries[0]
    return folder


def extract_zip(archive: Path, dest: Path, limits: ArchiveLimits) -> Path:
    """Unpack ``archive`` into the folder ``dest`` (replaced), or refuse it whole."""
    members = _checked_members(archive, limits)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
    try:
        _unpack(archive, members, staging, limits)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    os.replace(staging, dest)
    return dest


Member = tuple[zipfile.ZipInfo, tuple[str, ...]]  # the entry, its path's parts under dest


def _checked_members(archive: Path, limits: ArchiveLimits) -> list[Member]:
    count, directory = _directory_extent(archive)
    if count > limits.max_members:
        raise _refused(archive, f"it has {count} members; the limit is {limits.max_members}")
    if directory > limits.max_directory_bytes:
        raise _refused(
            archive,
            f"its directory is {_size(directory)}; the limit is "
            f"{_size(limits.max_directory_bytes)}",
        )
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise _refused(archive, f"it is not a readable zip ({exc})") from None
    if len(infos) > limits.max_members:
        raise _refused(archive, f"it has {len(infos)} members; the limit is {limits.max_members}")
    members: list[Member] = []
    declared = 0
    for info in infos:
        why = _member_problem(info, limits)
        if why is not None:
            raise _refused(archive, f"member {info.filename!r} {why}")
        parts = _parts(info.filename)
        if parts:  # "./" and the like: nothing to create
            members.append((info, parts))
        declared += info.file_size
    if declared > limits.max_total_bytes:
        raise _refused(
            archive,
            f"it unpacks to {_size(declared)}; the limit is {_size(limits.max_total_bytes)}",
        )
    return members


def _member_problem(info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    name = info.filename.replace("\\", "/")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if name.startswith("/") or _DRIVE.match(name):
        return "has an absolute path"
    if ".." in name.split("/"):
        return "has '..' in its path"
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file or a folder"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"uses compression method {info.compress_type} (only stored or deflated)"
    if info.file_size > limits.max_member_bytes:
        return (
            f"unpacks to {_size(info.file_size)}; the limit is "
            f"{_size(limits.max_member_bytes)} a member"
        )
    return None


def _parts(name: str) -> tuple[str, ...]:
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def _unpack(archive: Path, members: list[Member], root: Path, limits: ArchiveLimits) -> None:
    inside = root.resolve()
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for info, parts in members:
            target = root.joinpath(*parts)
            if not target.resolve().is_relative_to(inside):
                raise _refused(archive, f"member {info.filename!r} lands outside the folder")
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                total += _copy(zf, info, target, archive, limits, limits.max_total_bytes - total)
            except (OSError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
                raise _refused(
                    archive, f"member {info.filename!r} cannot be unpacked ({exc})"
                ) from None


def _copy(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    archive: Path,
    limits: ArchiveLimits,
    total_left: int,
) -> int:
    """Decompress one member into a new file, counting the bytes that actually come out."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise _refused(archive, f"member {info.filename!r} appears twice") from None
    written = 0
    with os.fdopen(fd, "wb") as f, zf.open(info) as src:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > min(info.file_size, limits.max_member_bytes):
                raise _refused(archive, f"member {info.filename!r} is larger than it says")
            if written > total_left:
                raise _refused(archive, f"it unpacks to more than {_size(limits.max_total_bytes)}")
            f.write(chunk)
    return written


def _directory_extent(archive: Path) -> tuple[int, int]:
    """(member count, central directory bytes) from the zip's end record, as zipfile will
    read them (the Zip64 record when its locator is there); (0, 0) when there is none
    (zipfile then says what is wrong)."""
    with contextlib.suppress(OSError), archive.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        start = max(0, size - _EOCD_SIZE - 0xFFFF)  # the record, then a comment of ≤ 64 KiB
        f.seek(start)
        tail = f.read()
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < _EOCD_SIZE:
            return 0, 0
        count = int.from_bytes(tail[at + 10 : at + 12], "little")
        directory = int.from_bytes(tail[at + 12 : at + 16], "little")
        locator_at = start + at - _ZIP64_LOCATOR_SIZE
        if locator_at - _ZIP64_EOCD_SIZE >= 0:
            f.seek(locator_at - _ZIP64_EOCD_SIZE)
            record = f.read(_ZIP64_EOCD_SIZE + _ZIP64_LOCATOR_SIZE)
            if record[_ZIP64_EOCD_SIZE:].startswith(_ZIP64_LOCATOR) and record.startswith(
                _ZIP64_EOCD
            ):
                count = int.from_bytes(record[32:40], "little")
                directory = int.from_bytes(record[40:48], "little")
        return count, directory
    return 0, 0


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


def _refused(archive: Path, why: str) -> SubmissionFileError:
    return SubmissionFileError(
        f"{archive} is refused: {why}. Nothing was extracted; download the submissions again, "
        "or unzip them yourself and grade the folder"
    )
