"""The reporting scenario: dossiers of January–March 2027 at Huế's center, reached through the
real services with frozen time, on the real calendar (Tết 2027: Thu 4 – Wed 10 February off).

Office hours are 07:30–11:30 and 13:30–17:00 (7.5 h a working day); counting starts the working
day after reception. The working days of February 2027 are Mon 1, Tue 2, Wed 3, then Thu 11,
Fri 12, 15–19, 22–26.

Residence registration (1.004222, police, 7 working days): reception (finished at intake),
tham_dinh 4 days (police department), ky_duyet 1.5 days (police head), phat_hanh 1 day (police
department; the result is resolved there), return. Each step's due time is its budget of office
time from its start; the times below keep every step on time unless said otherwise.

    name  channel  received              what happens                           in February
    J1    counter  Mon 25 Jan 09:00      due Wed 3 Feb; resolved Mon 1 Feb 09:00,  carried over,
                                         returned Tue 2 Feb                       finished early
    J2    counter  Fri 29 Jan 09:00      due Tue 16 Feb; apology Thu 11 Feb (new  carried over,
                                         date 26 Feb); tham_dinh late (due Thu    finished late
                                         11 09:00, done Mon 15), phat_hanh late
                                         (due Wed 17 10:00); resolved Fri 19,
                                         returned Mon 22
    J3    counter  Thu 14 Jan 09:00      resolved Tue 19 Jan, returned 20 Jan     not counted
    J4    counter  Sun 31 Jan 23:59      due Tue 16 Feb; resolved Thu 11 Feb,     carried over (a
                                         returned Fri 12                          January dossier),
                                                                                  finished early
    F1    counter  Mon 1 Feb 09:30       due Wed 17; resolved Thu 11, returned    early
    F2    online   Tue 2 Feb 08:00       submitted Mon 1 Feb 20:00 on the portal, on time, not
                   (accepted)            accepted Tue 08:00; due Thu 18 17:00;    collected;
                                         resolved Thu 18 16:00; phat_hanh late    police step late
                                         (due Wed 17 11:30)
    F3    post     Wed 3 Feb 09:00       due Fri 19; withdrawn Mon 15 (stopped)   early, no result
    F4    counter  Mon 1 Feb 10:00       due Wed 17; untouched (tham_dinh due     open overdue
                                         Fri 12 10:00)
    F5    counter  Thu 18 Feb 09:00      due Mon 1 Mar 17:00; untouched           open within
                                         (tham_dinh due Wed 24 09:00)             time, near due
                                                                                  on 28 Feb
    F6    counter  Mon 1 Feb 09:00       land transfer (8 days, due Thu 18 17:00) open, paused
                                         examined Mon 1 10:00; the tax office's   (within time)
                                         step (2 days, due Wed 3 10:00) issues
                                         the payment notice Thu 11 09:00: late;
                                         waiting for the payment since
    F7    counter  Mon 1 Feb 09:00       land certificate renewal (7 days, due    early (late
                                         Wed 17 17:00); supplement asked Tue 2    without the
                                         14:00, received Fri 12 08:30 (19 office  pause)
                                         hours: due Mon 22 11:30); resolved Fri
                                         19 08:00, returned Mon 22
    F8    counter  Thu 11 Feb 09:00      due Mon 22; resolved Fri 12, returned;   late (two
                                         supplement_count set to 2 directly, as   supplement
                                         imported data would carry it: the        requests)
                                         services allow one request
    F9    counter  Sun 28 Feb 23:59      due in March                             open within
    M1    counter  Mon 1 Mar 00:00       —                                        not counted
    W1    counter  Mon 15 Feb 09:00      household business at Thuận Hóa ward's   another center
                                         center (3 days), untouched

Ratings given in February: F1 very satisfied, J4 satisfied, F7 dissatisfied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.testing import sample_pdf
from motcua.dossiers import online
from motcua.dossiers.models import Dossier
from motcua.dossiers.processing import (
    PaymentLine,
    Recipient,
    SupplementItem,
    apology_issue,
    dossier_resolve,
    dossier_return,
    payment_notice_issue,
    step_forward,
    supplement_decide,
    supplement_propose,
    supplement_receive,
    withdrawal_confirm,
    withdrawal_request,
)
from motcua.dossiers.tests.helpers import receive, version_of
from motcua.ratings.services import rating_submit

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
RESIDENCE = "1.004222"
LAND_TRANSFER = "1.013831"
LAND_RENEWAL = "1.012783"
HOUSEHOLD_BUSINESS = "1.001612"
POLICE = "000.00.70.H57"
LAND = "000.20.30.H57"
TAX = "000.00.60.H57"
WARD = "000.00.12.H57"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HUE)


def at(*args: int) -> Any:
    return time_machine.travel(local(*args), tick=False)


# The moment the dashboard and the board are looked at: the last seconds of February.
END_OF_FEBRUARY = datetime(2027, 2, 28, 23, 59, 30, tzinfo=HUE)


@dataclass
class Scenario:
    demo: Any
    dossiers: dict[str, Dossier] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Dossier:
        return Dossier.objects.get(pk=self.dossiers[name].pk)

    def codes(self, *names: str) -> set[str]:
        return {self.dossiers[name].code for name in names}


def _return(demo: Any, dossier: Dossier, *when: int) -> None:
    with at(*when):
        dossier_return(
            actor=demo.reception_officer,
            code=dossier.code,
            channel="desk",
            recipient=Recipient(name="Nguyễn Thị Hồng Nhung", id_number="046190001234"),
        )


def _police_work(demo: Any, dossier: Dossier, examined: tuple, signed: tuple, resolved: tuple):
    """tham_dinh forwarded, ky_duyet signed, the result resolved at the three given times."""
    with at(*examined):
        step_forward(actor=demo.police_officer, code=dossier.code)
    with at(*signed):
        step_forward(actor=demo.person("truongcongan"), code=dossier.code)
    with at(*resolved):
        dossier_resolve(actor=demo.police_officer, code=dossier.code, result_number="TT-01")


def _police(demo: Any, *when: int, channel: str = "counter") -> Dossier:
    with at(*when):
        return receive(demo.reception_officer, RESIDENCE, channel=channel)


def _online_residence(demo: Any) -> Dossier:
    citizen = get_user_model().objects.get(username="congdan")
    with at(2027, 2, 1, 20, 0):
        draft = online.draft_start(user=citizen, version=version_of(RESIDENCE))
        online.draft_save(
            draft=draft,
            applicant=draft.applicant | {"address": "7 Lê Lợi, phường Thuận Hóa"},
            form_data={
                "noi_de_nghi": "7 Lê Lợi, phường Thuận Hóa, thành phố Huế",
                "ho_ten_chu_ho": "Nguyễn Văn An",
                "so_dinh_danh_chu_ho": "046090012345",
                "quan_he_voi_chu_ho": "Chủ hộ",
                "noi_dung_de_nghi": "Mua nhà ở mới",
                "dien_thoai": "0905111222",
            },
            result_channel="online",
        )
        for requirement in draft.procedure_version.components.all():
            if requirement.is_mandatory:
                upload = SimpleUploadedFile("giay-to.pdf", sample_pdf(), "application/pdf")
                online.draft_attach(draft=draft, requirement_id=requirement.pk, uploaded=upload)
        submitted = online.draft_submit(draft=draft).dossier
    with at(2027, 2, 2, 8, 0):
        return online.online_accept(actor=demo.reception_officer, code=submitted.code)


def _january(demo: Any, dossiers: dict[str, Dossier]) -> None:
    dossiers["J1"] = j1 = _police(demo, 2027, 1, 25, 9, 0)
    _police_work(demo, j1, (2027, 1, 28, 9, 0), (2027, 1, 29, 14, 0), (2027, 2, 1, 9, 0))
    _return(demo, j1, 2027, 2, 2, 9, 0)

    dossiers["J2"] = j2 = _police(demo, 2027, 1, 29, 9, 0)
    with at(2027, 2, 11, 9, 0):
        apology_issue(
            actor=demo.person("truongcongan"),
            code=j2.code,
            reason="Chờ xác minh chỗ ở hợp pháp",
            new_due_at=local(2027, 2, 26, 17, 0),
        )
    _police_work(demo, j2, (2027, 2, 15, 9, 0), (2027, 2, 16, 10, 0), (2027, 2, 19, 10, 0))
    _return(demo, j2, 2027, 2, 22, 9, 0)

    dossiers["J3"] = j3 = _police(demo, 2027, 1, 14, 9, 0)
    _police_work(demo, j3, (2027, 1, 15, 9, 0), (2027, 1, 18, 9, 0), (2027, 1, 19, 9, 0))
    _return(demo, j3, 2027, 1, 20, 9, 0)

    dossiers["J4"] = j4 = _police(demo, 2027, 1, 31, 23, 59)
    _police_work(demo, j4, (2027, 2, 2, 9, 0), (2027, 2, 3, 10, 0), (2027, 2, 11, 9, 0))
    _return(demo, j4, 2027, 2, 12, 9, 0)


def _february_police(demo: Any, dossiers: dict[str, Dossier]) -> None:
    dossiers["F1"] = f1 = _police(demo, 2027, 2, 1, 9, 30)
    _police_work(demo, f1, (2027, 2, 2, 9, 0), (2027, 2, 3, 9, 0), (2027, 2, 11, 8, 0))
    _return(demo, f1, 2027, 2, 12, 9, 0)

    dossiers["F2"] = f2 = _online_residence(demo)
    _police_work(demo, f2, (2027, 2, 15, 8, 0), (2027, 2, 16, 13, 0), (2027, 2, 18, 16, 0))

    dossiers["F3"] = f3 = _police(demo, 2027, 2, 3, 9, 0, channel="post")
    with at(2027, 2, 15, 10, 0):
        withdrawal_request(actor=demo.reception_officer, code=f3.code, reason="Đã chuyển nơi ở")
    with at(2027, 2, 15, 11, 0):
        withdrawal_confirm(actor=demo.police_officer, code=f3.code)

    dossiers["F4"] = _police(demo, 2027, 2, 1, 10, 0)
    dossiers["F5"] = _police(demo, 2027, 2, 18, 9, 0)

    dossiers["F8"] = f8 = _police(demo, 2027, 2, 11, 9, 0)
    _police_work(demo, f8, (2027, 2, 11, 10, 0), (2027, 2, 11, 11, 0), (2027, 2, 12, 9, 0))
    _return(demo, f8, 2027, 2, 12, 10, 0)
    # Imported data: a dossier sent back for a supplement twice (the services allow once).
    Dossier.objects.filter(pk=f8.pk).update(supplement_count=2)

    dossiers["F9"] = _police(demo, 2027, 2, 28, 23, 59)
    dossiers["M1"] = _police(demo, 2027, 3, 1, 0, 0)


def _february_land(demo: Any, dossiers: dict[str, Dossier]) -> None:
    with at(2027, 2, 1, 9, 0):
        dossiers["F6"] = f6 = receive(demo.reception_officer, LAND_TRANSFER)
    with at(2027, 2, 1, 10, 0):
        step_forward(actor=demo.land_specialist, code=f6.code)
    with at(2027, 2, 11, 9, 0):
        payment_notice_issue(
            actor=demo.tax_officer,
            code=f6.code,
            lines=[PaymentLine(kind="tax", name="Thuế thu nhập cá nhân", amount=20_000_000)],
        )

    with at(2027, 2, 1, 9, 0):
        dossiers["F7"] = f7 = receive(demo.reception_officer, LAND_RENEWAL)
    with at(2027, 2, 2, 14, 0):
        items = [SupplementItem(name="Giấy chứng nhận đã cấp", reason="Bản chụp không rõ")]
        supplement_propose(actor=demo.land_specialist, code=f7.code, items=items)
        supplement_decide(actor=demo.land_head, code=f7.code, approve=True)
    with at(2027, 2, 12, 8, 30):
        supplement_receive(actor=demo.reception_officer, code=f7.code)
    with at(2027, 2, 15, 9, 0):
        step_forward(actor=demo.land_specialist, code=f7.code)
    with at(2027, 2, 16, 14, 0):
        step_forward(actor=demo.land_specialist, code=f7.code)
    with at(2027, 2, 18, 8, 0):
        step_forward(actor=demo.land_director, code=f7.code)
    with at(2027, 2, 19, 8, 0):
        result = SimpleUploadedFile("ket-qua.pdf", sample_pdf(), "application/pdf")
        dossier_resolve(
            actor=demo.land_specialist, code=f7.code, result_number="CS 777", document=result
        )
    _return(demo, f7, 2027, 2, 22, 9, 0)


def _elsewhere_and_ratings(demo: Any, dossiers: dict[str, Dossier]) -> None:
    with at(2027, 2, 15, 9, 0):
        dossiers["W1"] = receive(demo.ward_officer, HOUSEHOLD_BUSINESS)
    for name, overall, when in [
        ("F1", "very_satisfied", (2027, 2, 12, 10, 0)),
        ("J4", "satisfied", (2027, 2, 12, 11, 0)),
        ("F7", "dissatisfied", (2027, 2, 22, 10, 0)),
    ]:
        with at(*when):
            dossier = Dossier.objects.get(pk=dossiers[name].pk)
            rating_submit(dossier=dossier, overall=overall, criteria={}, channel="receipt_qr")


def build(demo: Any) -> Scenario:
    """Every dossier of the table above, in the order the services allow."""
    scenario = Scenario(demo)
    _january(demo, scenario.dossiers)
    _february_police(demo, scenario.dossiers)
    _february_land(demo, scenario.dossiers)
    _elsewhere_and_ratings(demo, scenario.dossiers)
    return scenario
