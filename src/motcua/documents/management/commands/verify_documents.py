from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.documents.management.commands._stored import (
    Problem,
    document_storage,
    mismatches,
    stored_digest,
    stored_files,
)

# Enough to act on; the count says how many more there are.
SHOWN = 20


class Command(BaseCommand):
    help = (
        "Check that every stored document is there and that its bytes hash to the sha256 (and "
        "have the size) recorded on its row, through the storage API (local directory or S3). "
        "Exits non-zero, naming the files and rows, on any difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--progress", type=int, default=0, metavar="N", help="print a line every N files"
        )

    def handle(self, *args: Any, progress: int, **options: Any) -> None:
        storage = document_storage()
        problems: list[Problem] = []
        files = rows = size_total = 0
        for stored in stored_files():
            files += 1
            rows += len(stored.rows)
            if not storage.exists(stored.name):
                problems.append(Problem(stored.name, "missing", [pk for pk, *_ in stored.rows]))
                continue
            sha256, size = stored_digest(storage, stored.name)
            size_total += size
            problems += mismatches(stored, sha256, size)
            if progress and files % progress == 0:
                self.stdout.write(f"{files} files checked")
        if problems:
            for problem in problems[:SHOWN]:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(problems)} document problem(s) in {files} files ({rows} rows): {problems[0]}"
            )
        self.stdout.write(
            f"Documents intact: {rows} rows, {files} files, {size_total} bytes verified."
        )
