from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import time_machine
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from motcua.agencies.models import Role, Unit
from motcua.agencies.services import membership_grant, unit_upsert
from motcua.demo.activity import WINDOW_DAYS

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CATALOG_FILE = Path(__file__).resolve().parents[3] / "catalog" / "data" / "hue_catalog.yaml"
DEMO_PASSWORD = "motcua2026"
# A fixed token so the README's curl examples work against `make run`; demo only.
DEMO_API_TOKEN = "motcua-demo-token-hue-000000000000000000"


class Command(BaseCommand):
    help = "Load the demo center of Huế: organisation, personas and the procedure catalogue."

    def handle(self, *args: Any, **options: Any) -> None:
        data = yaml.safe_load((DATA_DIR / "organisation.yaml").read_text())
        with transaction.atomic():
            for node in data["units"]:
                self._unit(node, parent=None)
            for person in data["people"]:
                self._person(person)
            for citizen in data.get("citizens", []):
                self._citizen(citizen)
            self._system_client()
        # The demo's year of work (load_demo_activity) reaches back thirteen months: its
        # procedures were published before it, as a real center's are, so a dossier of the
        # history was received under a version already public (the evaluation's indicator 6).
        # The import publishes nothing when the catalogue has not changed.
        published = timezone.now() - timedelta(days=WINDOW_DAYS + 31)
        with time_machine.travel(published, tick=True):
            call_command("import_catalog", str(CATALOG_FILE), actor="quantri", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo loaded. Every persona's password: {DEMO_PASSWORD}")
        )

    def _unit(self, node: dict[str, Any], parent: Unit | None) -> None:
        unit = unit_upsert(
            code=node["code"],
            name=node["name"],
            kind=node["kind"],
            parent=parent,
            address=node.get("address", ""),
            phone=node.get("phone", ""),
        )
        for child in node.get("children", []):
            self._unit(child, parent=unit)

    def _person(self, person: dict[str, Any]) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=person["username"], defaults={"full_name": person["full_name"]}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.full_name = person["full_name"]
        if person.get("superuser"):
            user.is_staff = user.is_superuser = True
        user.save()
        membership_grant(
            user=user,
            unit=Unit.objects.get(code=person["unit"]),
            role=person["role"],
            title=person.get("title", ""),
        )

    def _citizen(self, citizen: dict[str, Any]) -> None:
        user, created = get_user_model().objects.get_or_create(
            username=citizen["username"], defaults={"full_name": citizen["full_name"]}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.full_name = citizen["full_name"]
        user.is_citizen = True
        user.id_number = citizen["id_number"]
        user.id_number_verified = citizen.get("verified", False)
        user.email = citizen.get("email", "")
        user.phone = citizen.get("phone", "")
        user.save()

    def _system_client(self) -> None:
        user_model = get_user_model()
        client, _ = user_model.objects.get_or_create(
            username="he-thong-mot-cua",
            defaults={"full_name": "Hệ thống một cửa điện tử (tích hợp)", "is_system": True},
        )
        client.set_unusable_password()
        client.save()
        membership_grant(
            user=client,
            unit=Unit.objects.get(code="000.00.01.H57"),
            role=Role.RECEPTION_OFFICER,
            title="Tài khoản tích hợp",
        )
        Token.objects.get_or_create(user=client, defaults={"key": DEMO_API_TOKEN})
