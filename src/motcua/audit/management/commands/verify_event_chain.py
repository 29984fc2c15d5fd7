from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.audit.services import ChainLink, event_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the event log and report the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            type=Path,
            help=(
                "A file kept outside the database (another machine, the backup storage) with "
                "the last link verified. The chain must still hold that link unchanged, so "
                "events removed from the end are found even when the chain head was moved back "
                "with them; once the chain verifies, the file is moved on to the new last link."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["checkpoint"]
        anchor = _checkpoint_read(path) if path is not None and path.exists() else None
        report = event_chain_verify(anchor=anchor)
        if not report.ok:
            raise CommandError(
                f"Event chain broken at #{report.broken_at}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        if path is not None:
            _checkpoint_write(path, report.head)
        self.stdout.write(
            f"Event chain intact: {report.checked} events verified; "
            f"last link #{report.head.seq} {report.head.hash}."
        )


def _checkpoint_read(path: Path) -> ChainLink:
    try:
        recorded = json.loads(path.read_text())
        return ChainLink(seq=int(recorded["seq"]), hash=str(recorded["hash"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CommandError(f"Checkpoint {path} cannot be read: {error}") from error


def _checkpoint_write(path: Path, link: ChainLink) -> None:
    # Written beside it and renamed, so an interrupted run leaves the previous checkpoint whole.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps({"seq": link.seq, "hash": link.hash}) + "\n")
    os.replace(partial, path)
