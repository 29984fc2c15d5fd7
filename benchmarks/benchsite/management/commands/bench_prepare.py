"""Fill a fresh benchmark database with realistic data and write what the load generator sends.

migrate, the product's `load_demo`, N dossiers received through the product's own service
(`dossier_receive`, as the counter does), and N rows for the minimal lookup. Writes into --out:

- lookups.tsv        code<TAB>secret of every dossier (the public lookup rotates over them);
- minimal_codes.tsv  the codes of the minimal lookup table;
- intake.json        the body of a counter intake (POST /api/v1/dossiers/);
- token.txt          the demo system client's API token.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from benchsite.models import BenchItem
from motcua.catalog.selectors import procedure_current_version, procedure_get, version_get
from motcua.dossiers.services import ApplicantData, ReceivedComponent, dossier_receive

SYSTEM_CLIENT = "he-thong-mot-cua"
INTAKE_PROCEDURE = "1.013978"
APPLICANT = {
    "kind": "person",
    "name": "Nguyễn Văn An",
    "id_number": "046085000123",
    "phone": "0905123456",
}


class Command(BaseCommand):
    help = "Prepare the benchmark database (migrate, demo, dossiers, minimal rows)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dossiers", type=int, default=2000)
        parser.add_argument("--out", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        count = options["dossiers"]

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_demo", verbosity=0, stdout=_Null())
        self.stdout.write(f"migrate + load_demo: {time.perf_counter() - started:.1f} s")

        client = get_user_model().objects.get(username=SYSTEM_CLIENT)
        token = Token.objects.get(user=client).key
        version = version_get(
            pk=procedure_current_version(procedure=procedure_get(national_code=INTAKE_PROCEDURE)).pk
        )
        component_ids = [c.pk for c in version.components.all()]
        if not component_ids:
            raise CommandError(f"procedure {INTAKE_PROCEDURE} has no components")

        started = time.perf_counter()
        applicant = ApplicantData(
            kind=APPLICANT["kind"],
            name=APPLICANT["name"],
            id_number=APPLICANT["id_number"],
            phone=APPLICANT["phone"],
        )
        pairs = []
        for _ in range(count):
            dossier, _replayed = dossier_receive(
                actor=client,
                version=version,
                applicant=applicant,
                components=[ReceivedComponent(requirement_id=pk) for pk in component_ids],
            )
            pairs.append((dossier.code, dossier.lookup_secret))
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{count} dossiers through dossier_receive: {elapsed:.1f} s "
            f"({count / elapsed:,.0f}/s in one process, no HTTP)"
        )

        BenchItem.objects.bulk_create(
            [
                BenchItem(code=f"BENCH-{i:06d}", name=f"Item {i}", state="received")
                for i in range(count)
            ],
            batch_size=1000,
        )

        (out / "lookups.tsv").write_text("".join(f"{c}\t{s}\n" for c, s in pairs))
        (out / "minimal_codes.tsv").write_text("".join(f"BENCH-{i:06d}\n" for i in range(count)))
        body = {
            "procedure": INTAKE_PROCEDURE,
            "applicant": APPLICANT,
            "components": [{"id": pk} for pk in component_ids],
            "result_channel": "desk",
        }
        (out / "intake.json").write_text(json.dumps(body, ensure_ascii=False))
        (out / "token.txt").write_text(token)


class _Null:
    def write(self, *args: Any, **kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass
