"""Create the demo CA and a signing certificate for every agency that may issue results."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.agencies.models import Unit, UnitKind
from motcua.core.errors import DomainError
from motcua.documents.pki import demo_ca_ensure, unit_certificate_ensure

# Results are issued in the name of an agency, a commune or the province: departments and
# counters sign through the unit above them, and centers receive and return but do not issue.
ISSUING_KINDS = [UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.AGENCY]


class Command(BaseCommand):
    help = (
        "Create the demo PKI under MOTCUA_PKI_DIR (demo CA, one certificate per issuing agency). "
        "Idempotent: existing, current certificates are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--unit", action="append", default=[], help="Only this unit code (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.MOTCUA_SIGNING_DEMO_PKI:
            raise CommandError(
                "MOTCUA_SIGNING_DEMO_PKI is off: install the agencies' real certificates under "
                f"{settings.MOTCUA_PKI_DIR} instead of generating demo ones."
            )
        units = Unit.objects.filter(kind__in=ISSUING_KINDS).order_by("code")
        if options["unit"]:
            units = Unit.objects.filter(code__in=options["unit"]).order_by("code")
            unknown = set(options["unit"]) - {unit.code for unit in units}
            if unknown:
                raise CommandError(f"Unknown unit code(s): {', '.join(sorted(unknown))}")
        try:
            self.stdout.write(f"CA: {demo_ca_ensure()}")
            for unit in units:
                paths = unit_certificate_ensure(unit=unit)
                self.stdout.write(f"{unit.code} {unit.name}: {paths.certificate} {paths.key}")
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(self.style.SUCCESS(f"Demo PKI ready in {settings.MOTCUA_PKI_DIR}"))
