"""Dossiers to rate and the people who rate them, reached through the real services."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from motcua.dossiers.tests.helpers import receive
from motcua.ratings.models import Overall, Rating, RatingChannel
from motcua.ratings.services import rating_submit

LAND_FIRST_REGISTRATION = "1.013978"
CERTIFIED_COPY = "2.000815"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
GOOD = {"attitude": 2, "publicity": 2, "contacts": 2}


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def citizen(username: str = "nhung", id_number: str = "079012345678") -> Any:
    return get_user_model().objects.create_user(
        username=username, password="matkhau-2026", is_citizen=True, id_number=id_number
    )


def citizen_dossier(demo: Any, user: Any) -> Any:
    """A land dossier received at the Huế center's desk, filed by the citizen's account."""
    dossier = receive(demo.reception_officer, LAND_FIRST_REGISTRATION)
    dossier.applicant_user = user
    dossier.save(update_fields=["applicant_user"])
    return dossier


def leader_with_contacts(demo: Any) -> Any:
    """The center's director, with an address and a phone to be told on."""
    leader = demo.center_leader
    leader.email, leader.phone = "giamdoc@example.vn", "0905000001"
    leader.save(update_fields=["email", "phone"])
    return leader


def rate(dossier: Any, overall: str = Overall.SATISFIED, **criteria: int | None) -> Rating:
    return rating_submit(
        dossier=dossier,
        overall=overall,
        criteria=criteria,
        comment="",
        channel=RatingChannel.RECEIPT_QR,
    )
