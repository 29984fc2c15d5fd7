"""``manage.py import_catalog PATH [--dry-run] [--actor USERNAME]``: load a procedure catalogue.

The file format is described at the top of ``motcua/catalog/data/hue_catalog.yaml``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.catalog.services import PublishOutcome, catalog_import
from motcua.core.errors import ValidationFailed


def catalog_file_read(path: Path) -> list[Any]:
    """The ``procedures:`` list of a YAML (.yaml, .yml) or JSON (.json) catalogue file."""
    if not path.is_file():
        raise CommandError(f"File not found: {path}")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    try:
        if suffix in {".yaml", ".yml"}:
            data = yaml.safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise CommandError(f"Unsupported file type {suffix!r}: use .yaml, .yml or .json")
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise CommandError(f"Cannot parse {path}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("procedures"), list):
        raise CommandError(f"{path}: the file must have a top-level 'procedures:' list")
    return data["procedures"]


class Command(BaseCommand):
    help = "Import a procedure catalogue (YAML or JSON); unchanged procedures are left alone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="catalogue file (.yaml, .yml or .json)")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, then roll back"
        )
        parser.add_argument("--actor", help="username recorded as the publisher")

    def handle(self, *args: Any, **options: Any) -> None:
        records = catalog_file_read(Path(options["path"]))
        actor = self._actor(options.get("actor"))
        try:
            outcomes = catalog_import(actor=actor, records=records, dry_run=options["dry_run"])
        except ValidationFailed as error:
            raise CommandError(str(error.message)) from error
        for outcome in outcomes:
            self.stdout.write(self._line(outcome))
        self.stdout.write(self._summary(outcomes, dry_run=options["dry_run"]))

    def _actor(self, username: str | None) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Unknown user {username!r} for --actor")
        return user

    def _line(self, outcome: PublishOutcome) -> str:
        status = {
            "created": f"created (version {outcome.version.number})",
            "new_version": f"new version {outcome.version.number}",
            "unchanged": f"unchanged (version {outcome.version.number})",
        }[outcome.status]
        return f"{outcome.procedure.national_code}  {status}  {outcome.procedure.name}"

    def _summary(self, outcomes: list[PublishOutcome], *, dry_run: bool) -> str:
        counts = Counter(outcome.status for outcome in outcomes)
        summary = (
            f"{len(outcomes)} procedures: {counts['created']} created, "
            f"{counts['new_version']} new versions, {counts['unchanged']} unchanged"
        )
        if dry_run:
            return self.style.WARNING(f"{summary} (dry run: nothing was written)")
        return self.style.SUCCESS(summary)
