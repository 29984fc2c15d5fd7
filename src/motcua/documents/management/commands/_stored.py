"""What the document commands share: the stored files the rows point at, and their hashes.

Everything goes through the storage of `Document.file` (Django's storage API), so the commands
work the same on a local directory and on S3-compatible object storage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.files.storage import Storage

from motcua.documents.models import Document

CHUNK = 1024 * 1024
# The checksum list of an export, in the format of coreutils' sha256sum, so an operator can
# check a copy with `sha256sum -c SHA256SUMS` and nothing of ours.
SUMS_NAME = "SHA256SUMS"


@dataclass
class StoredFile:
    """One file of the store and every row that points at it (content-addressed: rows share)."""

    name: str
    rows: list[tuple[int, str, int]] = field(default_factory=list)  # (pk, sha256, size)


@dataclass
class Problem:
    name: str
    what: str
    document_ids: list[int]

    def __str__(self) -> str:
        ids = ", ".join(f"#{pk}" for pk in self.document_ids[:5])
        more = f" (+{len(self.document_ids) - 5})" if len(self.document_ids) > 5 else ""
        return f"{self.name}: {self.what} [document {ids}{more}]"


def document_storage() -> Storage:
    return Document._meta.get_field("file").storage  # type: ignore[attr-defined,no-any-return]


def stored_files() -> Iterator[StoredFile]:
    """Every stored file the document rows name, with its rows, in name order."""
    rows = Document.objects.order_by("file", "pk").values_list("pk", "file", "sha256", "size")
    current: StoredFile | None = None
    for pk, name, sha256, size in rows.iterator(chunk_size=2000):
        if current is None or current.name != name:
            if current is not None:
                yield current
            current = StoredFile(name=name)
        current.rows.append((pk, sha256, size))
    if current is not None:
        yield current


def digest_stream(source: IO[bytes], sink: IO[bytes] | None = None) -> tuple[str, int]:
    """sha256 and length of a stream read to its end, copied into `sink` on the way."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size


def stored_digest(storage: Storage, name: str, sink: IO[bytes] | None = None) -> tuple[str, int]:
    with storage.open(name, "rb") as source:
        return digest_stream(source, sink)


def mismatches(stored: StoredFile, sha256: str, size: int) -> list[Problem]:
    """The rows whose recorded hash or size differs from what the file holds."""
    wrong_hash = [pk for pk, recorded, _size in stored.rows if recorded != sha256]
    wrong_size = [
        pk for pk, recorded, length in stored.rows if recorded == sha256 and length != size
    ]
    problems = []
    if wrong_hash:
        problems.append(Problem(stored.name, f"content hashes to {sha256}", wrong_hash))
    if wrong_size:
        problems.append(Problem(stored.name, f"content is {size} bytes", wrong_size))
    return problems


def safe_relative(name: str) -> PurePosixPath:
    """A storage name as a relative path that cannot leave the directory it is joined to."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or ".." in path.parts:
        raise ValueError(f"unsafe file name {name!r}")
    return path


def sums_write(directory: Path, sums: dict[str, str]) -> None:
    lines = "".join(f"{sha256}  {name}\n" for name, sha256 in sorted(sums.items()))
    (directory / SUMS_NAME).write_text(lines, encoding="utf-8")


def sums_read(directory: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    path = directory / SUMS_NAME
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        sha256, separator, name = line.partition("  ")
        if not separator or len(sha256) != 64:
            raise ValueError(f"{path}:{number}: not a sha256sum line")
        sums[str(safe_relative(name))] = sha256
    return sums


def summary(**counts: Any) -> str:
    return ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
