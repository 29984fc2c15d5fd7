"""March 2027 at the ward of Thuận Hóa, through the real services, for the Decision 766 tests.

The calendar (holidays package): Tết 2027 is Thu 4 – Wed 10 February; March has no day off.
Household business registration (1.001612) takes 3 working days from the day after reception,
due at 17:00; office hours are 07:30–11:30 and 13:30–17:00, 7.5 hours a day.

    P  1.001612  Mon 22 Feb 09:00  resolved Tue 23 Feb: ended before March       —
    C  1.001612  Thu 25 Feb 09:00  due Tue 2 Mar 17:00, resolved then at 15:00   on time, carried
    A  1.001612  Mon  1 Mar 09:00  scanned; resolved Wed 3 10:00, returned       on time
                                   online Thu 4; its scans go to the
                                   applicant's document store
    L  1.001612  Tue  2 Mar 09:00  due Fri 5, resolved Mon 8 10:00; rated       late
                                   dissatisfied
    E  1.001612  Wed  3 Mar 09:00  scanned; due Mon 8, resolved Fri 5 15:00,    on time (the
                                   returned Wed 10 (after the due date);        resolution
                                   rated dissatisfied                           counts)
    S  1.001612  Mon  8 Mar 09:00  due Thu 11; supplement Tue 9 09:00 – Fri     on time
                                   12 09:00 (22.5 h) moves it to Tue 16
                                   17:00; resolved Mon 15 10:00
    M  1.001612  Tue  9 Mar 09:00  resolved Thu 11 10:00; imported with two     late
                                   supplement requests (field set directly)
    W  1.001612  Wed 10 Mar 09:00  withdrawn, stopped Thu 11 10:00              on time (stop)
    O  1.001612  Thu 25 Mar 09:00  due Tue 30 Mar, still open                   overdue
    Q  2.000815  Fri 26 Mar 09:00  on the spot (fee), scanned, no e-result      on time
    Z  1.001193  Fri 26 Mar 10:00  on the spot, no fee                          on time
    B  1.001612  Mon 29 Mar 09:00  online, reusing a scan of A, fee paid at     within time
                                   the gateway; due Thu 1 Apr, open
    X  1.001612  Thu  1 Apr 09:00  after the period                             —
    Y  1.012783  Tue  2 Mar 09:00  the city center's land office: not the       —
                                   ward's
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.testing import sample_pdf
from motcua.documents.selectors import citizen_documents
from motcua.dossiers import online
from motcua.dossiers.models import Dossier
from motcua.dossiers.processing import (
    dossier_resolve,
    dossier_return,
    step_forward,
    supplement_decide,
    supplement_propose,
    supplement_receive,
    withdrawal_confirm,
    withdrawal_request,
)
from motcua.dossiers.processing.pauses import SupplementItem
from motcua.dossiers.services import ReceivedComponent
from motcua.dossiers.tests.helpers import CITIZEN, receive, version_of
from motcua.dossiers.tests.test_online import filled_draft
from motcua.payments.models import Purpose
from motcua.payments.services import payment_notify, payment_start
from motcua.payments.tests.helpers import gateway_params
from motcua.ratings.models import Overall, RatingChannel
from motcua.ratings.services import rating_submit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
BUSINESS = "1.001612"
CERTIFIED_COPY = "2.000815"
BIRTH = "1.001193"
LAND_RENEWAL = "1.012783"
WARD = "000.00.12.H57"
PDF = sample_pdf()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HUE)


def at(*args: int) -> Any:
    return time_machine.travel(local(*args), tick=False)


def upload(name: str = "giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def scanned(national_code: str) -> list[ReceivedComponent]:
    components = version_of(national_code).components.all()
    return [ReceivedComponent(requirement_id=c.pk, scan=upload()) for c in components]


def payment_settings(settings: Any) -> None:
    settings.MOTCUA_PAYMENT_MERCHANT_CODE = "MOTCUA01"
    settings.MOTCUA_PAYMENT_HASH_SECRET = "test-hash-secret"
    settings.MOTCUA_PAYMENT_GATEWAY_URL = "http://127.0.0.1:9"
    settings.SITE_URL = "http://testserver"


@dataclass
class Ward:
    """The ward's people."""

    demo: Any

    @property
    def desk(self) -> Any:
        return self.demo.ward_officer

    @property
    def officer(self) -> Any:
        return self.demo.person("kinhtephuong")

    @property
    def head(self) -> Any:
        return self.demo.person("truongphongphuong")

    def receive(self, *when: int, code: str = BUSINESS, **kwargs: Any) -> Dossier:
        with at(*when):
            return receive(self.desk, code, **kwargs)

    def resolve(self, dossier: Dossier, *when: int) -> Dossier:
        """Examined, approved and issued (a signed PDF) at `when`."""
        with at(*when):
            step_forward(actor=self.officer, code=dossier.code)
            step_forward(actor=self.head, code=dossier.code)
            dossier_resolve(
                actor=self.officer,
                code=dossier.code,
                result_number=f"{dossier.pk}/GCN-HKD",
                document=upload("ket-qua.pdf"),
            )
        dossier.refresh_from_db()
        return dossier

    def return_online(self, dossier: Dossier, *when: int) -> None:
        with at(*when):
            dossier_return(actor=self.desk, code=dossier.code, channel="online")

    def supplement(
        self, dossier: Dossier, asked: tuple[int, ...], brought: tuple[int, ...]
    ) -> None:
        with at(*asked):
            supplement_propose(
                actor=self.officer,
                code=dossier.code,
                items=[SupplementItem(name="Bản sao giấy tờ", reason="Bản sao mờ, không đọc được")],
            )
            supplement_decide(actor=self.head, code=dossier.code, approve=True)
        with at(*brought):
            supplement_receive(actor=self.desk, code=dossier.code)

    def withdraw(self, dossier: Dossier, *when: int) -> None:
        with at(*when):
            withdrawal_request(actor=self.desk, code=dossier.code, reason="Không còn nhu cầu")
            withdrawal_confirm(actor=self.officer, code=dossier.code)


def rate(dossier: Dossier, overall: str, *when: int) -> None:
    with at(*when):
        rating_submit(
            dossier=dossier,
            overall=overall,
            criteria={},
            comment="",
            channel=RatingChannel.RECEIPT_QR,
        )


def verified_citizen() -> Any:
    """The applicant of the counter dossiers (CITIZEN), with an account an identity provider
    vouched for: the documents scanned under their ID number are in their store."""
    return get_user_model().objects.create_user(
        username="chuho",
        password="motcua2026",
        full_name=CITIZEN.name,
        email="chuho@example.vn",
        phone="0912000111",
        is_citizen=True,
        id_number=CITIZEN.id_number,
        id_number_verified=True,
    )


def online_reusing(ward: Ward, user: Any, *when: int) -> Dossier:
    """Filed online reusing the request form scanned at the desk, accepted at `when`, and the
    fee paid at the gateway an hour later."""
    version = version_of(BUSINESS)
    request_form = version.components.get(position=1)
    with at(*when):
        draft = filled_draft(user, BUSINESS)
        reusable = citizen_documents(user=user).first()
        assert reusable is not None
        online.draft_reuse(draft=draft, requirement_id=request_form.pk, document_id=reusable.pk)
        dossier = online.draft_submit(draft=draft).dossier
        online.online_accept(actor=ward.desk, code=dossier.code)
    with at(*when[:3], when[3] + 1, when[4]):
        payment, _url = payment_start(
            user=user, dossier=dossier, purpose=Purpose.FEE, idempotency_key="phi-1"
        )
        assert payment_notify(gateway_params(payment)) == ("00", "Confirm Success")
    dossier.refresh_from_db()
    return dossier


def march_2027(demo: Any, settings: Any) -> dict[str, Dossier]:
    """The dossiers of the module docstring, by letter."""
    payment_settings(settings)
    ward = Ward(demo)
    user = verified_citizen()
    d: dict[str, Dossier] = {}
    d["P"] = ward.receive(2027, 2, 22, 9, 0)
    ward.resolve(d["P"], 2027, 2, 23, 10, 0)
    d["C"] = ward.receive(2027, 2, 25, 9, 0)
    ward.resolve(d["C"], 2027, 3, 2, 15, 0)
    rate(d["C"], Overall.VERY_SATISFIED, 2027, 3, 2, 16, 0)
    d["A"] = ward.receive(2027, 3, 1, 9, 0, components=scanned(BUSINESS))
    ward.resolve(d["A"], 2027, 3, 3, 10, 0)
    ward.return_online(d["A"], 2027, 3, 4, 9, 0)
    d["L"] = ward.receive(2027, 3, 2, 9, 0)
    ward.resolve(d["L"], 2027, 3, 8, 10, 0)
    rate(d["L"], Overall.DISSATISFIED, 2027, 3, 8, 11, 0)
    d["E"] = ward.receive(2027, 3, 3, 9, 0, components=scanned(BUSINESS))
    ward.resolve(d["E"], 2027, 3, 5, 15, 0)
    ward.return_online(d["E"], 2027, 3, 10, 9, 0)
    rate(d["E"], Overall.DISSATISFIED, 2027, 3, 10, 10, 0)
    d["S"] = ward.receive(2027, 3, 8, 9, 0)
    ward.supplement(d["S"], (2027, 3, 9, 9, 0), (2027, 3, 12, 9, 0))
    ward.resolve(d["S"], 2027, 3, 15, 10, 0)
    d["M"] = ward.receive(2027, 3, 9, 9, 0)
    ward.resolve(d["M"], 2027, 3, 11, 10, 0)
    # Imported from the previous system: two supplement requests, which our services refuse.
    Dossier.objects.filter(pk=d["M"].pk).update(supplement_count=2)
    d["W"] = ward.receive(2027, 3, 10, 9, 0)
    ward.withdraw(d["W"], 2027, 3, 11, 10, 0)
    d["O"] = ward.receive(2027, 3, 25, 9, 0)
    d["Q"] = ward.receive(
        2027, 3, 26, 9, 0, code=CERTIFIED_COPY, components=scanned(CERTIFIED_COPY)
    )
    d["Z"] = ward.receive(2027, 3, 26, 10, 0, code=BIRTH)
    d["B"] = online_reusing(ward, user, 2027, 3, 29, 9, 0)
    d["X"] = ward.receive(2027, 4, 1, 9, 0)
    with at(2027, 3, 2, 9, 0):
        d["Y"] = receive(demo.reception_officer, LAND_RENEWAL)
    for dossier in d.values():
        dossier.refresh_from_db()
    return d
