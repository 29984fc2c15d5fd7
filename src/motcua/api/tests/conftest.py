"""API personas on the real demo center (demo/data/organisation.yaml and the Huế catalogue).

The demo is loaded through `load_demo` for every test (the shared `demo` fixture). With Django's
default password hasher that takes about 6 s (eleven personas' passwords); with a fast hasher it
takes about 0.2 s, so these tests switch the hasher first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from motcua.catalog.models import ProcedureComponent
from motcua.demo.management.commands.load_demo import DEMO_API_TOKEN

# First land registration (đăng ký đất đai lần đầu): 20 working days, received at Huế's center.
LAND_FIRST_REGISTRATION = "1.013978"
# Tuesday 21 April 2026, 10:00 in Huế: a week before the Hùng Kings' day off (Mon 27 April,
# in lieu of Sunday 26) and the 30 April / 1 May holidays.
TUESDAY_BEFORE_HOLIDAYS = "2026-04-21T10:00:00+07:00"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Personas:
    """Who calls the API, each with a client already holding their credentials."""

    demo: Any

    def token_client(self, username: str) -> APIClient:
        token, _ = Token.objects.get_or_create(user=self.demo.person(username))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def session_client(self, username: str) -> APIClient:
        client = APIClient()
        client.force_login(self.demo.person(username))
        return client

    @property
    def system(self) -> APIClient:
        """The integrated one-stop system (he-thong-mot-cua) with the demo token."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {DEMO_API_TOKEN}")
        return client

    @property
    def officer(self) -> APIClient:
        """tiepnhan: reception officer of Huế's Public Administration Center."""
        return self.token_client("tiepnhan")

    @property
    def outsider(self) -> APIClient:
        """phuxuan: reception officer of Phú Xuân ward's center, a stranger to Huế's center."""
        return self.token_client("phuxuan")

    @property
    def specialist(self) -> APIClient:
        """chuyenvien: handling officer of the land registration office."""
        return self.token_client("chuyenvien")

    @property
    def head(self) -> APIClient:
        """truongphong: head of the land office's registration department (assigns, approves)."""
        return self.token_client("truongphong")

    @property
    def director(self) -> APIClient:
        """lanhdao: director of the land registration office (signs)."""
        return self.token_client("lanhdao")

    @property
    def tax_officer(self) -> APIClient:
        """canbothue: officer of the tax office, consulted on the financial obligation."""
        return self.token_client("canbothue")

    @property
    def anonymous(self) -> APIClient:
        return APIClient()


@pytest.fixture
def personas(demo: Any) -> Personas:
    return Personas(demo=demo)


@pytest.fixture
def tuesday() -> Iterator[time_machine.Coordinates]:
    """Time stands still at Tuesday 21 April 2026, 10:00 in Huế."""
    with time_machine.travel(TUESDAY_BEFORE_HOLIDAYS, tick=False) as traveller:
        yield traveller


@pytest.fixture
def intake(demo: Any) -> dict[str, Any]:
    """A complete intake of a first land registration: every mandatory component ticked."""
    mandatory = ProcedureComponent.objects.filter(
        version__procedure__national_code=LAND_FIRST_REGISTRATION, is_mandatory=True
    ).order_by("position")
    return {
        "procedure": LAND_FIRST_REGISTRATION,
        "applicant": {
            "kind": "person",
            "name": "Nguyễn Thị Mai Hương",
            "id_number": "046190001234",
            "address": "12 Phan Đình Phùng, phường Thuận Hóa, thành phố Huế",
            "phone": "0905123456",
            "email": "huong@example.vn",
        },
        "components": [{"id": component.pk} for component in mandatory],
        "result_channel": "desk",
        "note": "",
    }
