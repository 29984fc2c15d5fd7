from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.documents.management.commands._stored import (
    SUMS_NAME,
    digest_stream,
    document_storage,
    stored_digest,
    sums_read,
)


class Command(BaseCommand):
    help = (
        f"Put the documents of an export (export_documents, scripts/backup) back into the "
        f"document storage (local directory or S3), under their names. Every file is checked "
        f"against {SUMS_NAME} before anything is written: one difference and nothing is "
        f"imported. A file already stored with the same content is left as it is; one stored "
        f"with other content is refused unless --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="SOURCE_DIR", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="overwrite stored files whose content differs"
        )

    def handle(self, *args: Any, source: Path, replace: bool, **options: Any) -> None:
        try:
            sums = sums_read(source)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the export's checksums: {error}") from error
        self._check_export(source, sums)
        storage = document_storage()
        imported = kept = 0
        for name, sha256 in sums.items():
            if storage.exists(name):
                if stored_digest(storage, name)[0] == sha256:
                    kept += 1
                    continue
                if not replace:
                    raise CommandError(
                        f"{name} is already stored with other content "
                        f"({imported} files imported before it); --replace overwrites it."
                    )
                storage.delete(name)
            with (source / name).open("rb") as content:
                saved = storage.save(name, File(content, name=name))
            if saved != name:
                raise CommandError(f"The storage saved {name} as {saved}.")
            imported += 1
        self.stdout.write(f"{imported} files imported, {kept} already stored, from {source}.")

    def _check_export(self, source: Path, sums: dict[str, str]) -> None:
        bad = []
        for name, sha256 in sums.items():
            path = source / name
            if not path.is_file():
                bad.append(f"{name}: missing from the export")
                continue
            with path.open("rb") as content:
                if digest_stream(content)[0] != sha256:
                    bad.append(f"{name}: does not match {SUMS_NAME}")
        if bad:
            for line in bad:
                self.stderr.write(line)
            raise CommandError(f"{len(bad)} file(s) of the export are damaged; nothing imported.")
