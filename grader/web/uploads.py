"""Uploaded files on disk, content-addressed by sha256, written atomically and fsynced.

A file is complete on disk before its database row exists, so an accepted submission always
has its bytes, whenever the server is killed. A file whose row was never written is harmless.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class Uploads:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def save(self, data: bytes) -> str:
        """Store ``data``; its sha256. Storing the same bytes twice keeps one file."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def load(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
