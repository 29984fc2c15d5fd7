from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.documents.management.commands._stored import (
    SUMS_NAME,
    Problem,
    document_storage,
    mismatches,
    safe_relative,
    stored_digest,
    stored_files,
    sums_write,
)


class Command(BaseCommand):
    help = (
        "Copy every stored document the rows point at (local directory or S3) into DEST_DIR, "
        f"under its storage name, with a {SUMS_NAME} list (sha256sum format). Each file is "
        "hashed as it is copied; a missing file or one whose hash differs from its row is "
        "named and the command exits non-zero after copying everything else. "
        "`import_documents` puts them back; scripts/backup runs this."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", metavar="DEST_DIR", type=Path)

    def handle(self, *args: Any, dest: Path, **options: Any) -> None:
        if dest.exists() and any(dest.iterdir()):
            raise CommandError(f"{dest} is not empty: export into a new directory.")
        dest.mkdir(parents=True, exist_ok=True)
        storage = document_storage()
        sums: dict[str, str] = {}
        problems: list[Problem] = []
        size_total = 0
        for stored in stored_files():
            ids = [pk for pk, *_ in stored.rows]
            try:
                target = dest / safe_relative(stored.name)
            except ValueError as error:
                problems.append(Problem(stored.name, str(error), ids))
                continue
            if not storage.exists(stored.name):
                problems.append(Problem(stored.name, "missing", ids))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as sink:
                sha256, size = stored_digest(storage, stored.name, sink)
            sums[stored.name] = sha256
            size_total += size
            problems += mismatches(stored, sha256, size)
        sums_write(dest, sums)
        self.stdout.write(f"{len(sums)} files, {size_total} bytes exported to {dest}.")
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} document problem(s) while exporting.")
