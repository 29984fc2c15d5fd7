"""The internal workflow (quy trình nội bộ) of procedure versions: demo catalogue and rules."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from motcua.agencies.models import Membership, Role, UnitKind
from motcua.audit.models import Event
from motcua.catalog.models import (
    FeeItem,
    Procedure,
    ProcedureComponent,
    ProcedureVersion,
    Sector,
    StepKind,
    WorkflowStep,
)
from motcua.catalog.services import catalog_import, procedure_version_publish
from motcua.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

LAND_TRANSFER = "1.013831"
FIRST_REGISTRATION = "1.013978"
BUILDING_PERMIT = "1.013225"
HOUSEHOLD_BUSINESS = "1.001612"
CENTER = "000.00.01.H57"
LAND_OFFICE = "000.20.30.H57"
LAND_DEPARTMENT = "000.20.30.H57.P01"
TAX_OFFICE = "000.00.60.H57"

Step = tuple[int, int, str, str, str, str, Decimal]


def _steps(version: ProcedureVersion) -> list[Step]:
    """(position, stage, code, kind, unit code, role, budget) of each step, in order."""
    rows = WorkflowStep.objects.filter(version=version).select_related("unit").order_by("position")
    return [(s.position, s.stage, s.code, s.kind, s.unit.code, s.role, s.budget) for s in rows]


def _stage_budgets(version: ProcedureVersion) -> dict[int, Decimal]:
    budgets: dict[int, Decimal] = {}
    for step in version.workflow_steps.all():
        budgets[step.stage] = max(budgets.get(step.stage, Decimal(0)), step.budget)
    return budgets


def _of(records: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return next(r for r in records if r["national_code"] == code)


def _version(code: str, number: int = 1) -> ProcedureVersion:
    return ProcedureVersion.objects.get(procedure__national_code=code, number=number)


def _row_counts() -> dict[str, int]:
    models = (Sector, Procedure, ProcedureVersion, ProcedureComponent, FeeItem, WorkflowStep, Event)
    return {model.__name__: model.objects.count() for model in models}


def _expected_steps(record: dict[str, Any]) -> list[Step]:
    """The steps a record's `workflow:` list describes, with the documented defaults filled in."""
    rows: list[Step] = []
    stage = 0
    for position, raw in enumerate(record["workflow"], start=1):
        stage += 0 if raw.get("parallel") else 1
        at_desk = raw["kind"] in ("reception", "return")
        unit = raw.get("unit") or record["receiving_unit" if at_desk else "competent_unit"]
        role = raw.get("role") or ("reception_officer" if at_desk else "handling_officer")
        budget = Decimal(str(raw.get("budget", 0))).quantize(Decimal("0.01"))
        rows.append((position, stage, raw["code"], raw["kind"], unit, role, budget))
    return rows


# ------------------------------------------------------------------ the demo catalogue -----------


def test_it_imports_every_demo_workflow_step_by_step(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    assert len(demo_records) == 15
    for record in demo_records:
        assert "workflow" in record, record["national_code"]
        version = _version(record["national_code"])
        assert _steps(version) == _expected_steps(record), record["national_code"]


def test_it_imports_the_land_transfer_workflow_exactly(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    assert _steps(_version(LAND_TRANSFER)) == [
        (1, 1, "tiep_nhan", "reception", CENTER, "reception_officer", Decimal("0.50")),
        (2, 2, "tham_dinh", "handling", LAND_DEPARTMENT, "handling_officer", Decimal("2.50")),
        (3, 3, "nghia_vu_tai_chinh", "financial", TAX_OFFICE, "coordinating_officer", Decimal(2)),
        (4, 4, "du_thao", "handling", LAND_DEPARTMENT, "handling_officer", Decimal(1)),
        (5, 5, "ky_duyet", "signing", LAND_OFFICE, "signing_authority", Decimal(1)),
        (6, 6, "phat_hanh", "handling", LAND_DEPARTMENT, "handling_officer", Decimal(1)),
        (7, 7, "tra_ket_qua", "return", CENTER, "reception_officer", Decimal(0)),
    ]


def test_it_gives_every_demo_workflow_the_whole_statutory_time(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    for version in ProcedureVersion.objects.select_related("procedure").prefetch_related(
        "workflow_steps"
    ):
        kinds = [step.kind for step in version.workflow_steps.all()]
        code = version.procedure.national_code
        assert sum(_stage_budgets(version).values()) == version.statutory_amount, code
        assert kinds[0] == StepKind.RECEPTION and kinds.count(StepKind.RECEPTION) == 1, code
        assert kinds[-1] == StepKind.RETURN and kinds.count(StepKind.RETURN) == 1, code
        if version.is_on_the_spot:
            assert kinds == [StepKind.RECEPTION, StepKind.RETURN], code
        else:
            assert len(kinds) >= 4, code
        assert (StepKind.FINANCIAL in kinds) == version.financial_obligation, code


def test_it_puts_signatures_where_a_signing_authority_sits_and_taxes_at_the_tax_office(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    signing = WorkflowStep.objects.filter(kind=StepKind.SIGNING).select_related("unit")
    financial = WorkflowStep.objects.filter(kind=StepKind.FINANCIAL).select_related("unit")
    assert signing.count() >= 10
    assert {(s.role, s.unit.kind) for s in signing} <= {
        (Role.SIGNING_AUTHORITY, UnitKind.AGENCY),
        (Role.SIGNING_AUTHORITY, UnitKind.COMMUNE),
    }
    assert not (
        WorkflowStep.objects.filter(role=Role.SIGNING_AUTHORITY)
        .exclude(kind=StepKind.SIGNING)
        .exists()
    )
    assert {(s.unit.code, s.role) for s in financial} == {(TAX_OFFICE, "coordinating_officer")}
    assert set(financial.values_list("version__procedure__national_code", flat=True)) == {
        LAND_TRANSFER,
        FIRST_REGISTRATION,
    }


def test_it_chains_the_first_registration_through_the_ward_and_the_tax_office(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)

    steps = _steps(_version(FIRST_REGISTRATION))

    assert [(code, kind, unit) for _p, _s, code, kind, unit, _r, _b in steps] == [
        ("tiep_nhan", "reception", CENTER),
        ("tham_dinh", "handling", LAND_DEPARTMENT),
        ("xac_nhan_hien_trang", "consultation", "000.00.12.H57"),
        ("nghia_vu_tai_chinh", "financial", TAX_OFFICE),
        ("du_thao", "handling", LAND_DEPARTMENT),
        ("ky_duyet", "signing", LAND_OFFICE),
        ("phat_hanh", "handling", LAND_DEPARTMENT),
        ("tra_ket_qua", "return", CENTER),
    ]
    assert sum(step[-1] for step in steps) == Decimal(20)


def test_it_runs_the_building_permit_consultation_in_parallel(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    catalog_import(actor=None, records=demo_records)
    version = _version(BUILDING_PERMIT)

    second_stage = [step for step in _steps(version) if step[1] == 2]

    assert second_stage == [
        (2, 2, "tham_dinh", "handling", "000.12.02.H57", "handling_officer", Decimal(5)),
        (3, 2, "lay_y_kien", "consultation", "000.00.21.H57", "coordinating_officer", Decimal(8)),
    ]
    # Steps add up to 20 calendar days, but the stages, counting the longer step, to the 15 allowed.
    assert sum(step.budget for step in version.workflow_steps.all()) == Decimal(20)
    assert list(_stage_budgets(version).values()) == [1, 8, 3, 2, 1, 0]


def test_it_gives_every_land_transfer_step_a_demo_persona_who_can_do_it(demo: Any) -> None:
    version = _version(LAND_TRANSFER)
    people = {
        step.code: set(
            Membership.objects.filter(unit=step.unit, role=step.role).values_list(
                "user__username", flat=True
            )
        )
        for step in version.workflow_steps.all()
    }

    assert "tiepnhan" in people["tiep_nhan"] & people["tra_ket_qua"]
    assert {"chuyenvien"} == people["tham_dinh"] == people["du_thao"] == people["phat_hanh"]
    assert people["nghia_vu_tai_chinh"] == {"canbothue"}
    assert people["ky_duyet"] == {"lanhdao"}
    # The department head who assigns the department's steps.
    assert Membership.objects.filter(
        unit__code=LAND_DEPARTMENT, role=Role.DEPARTMENT_HEAD, user__username="truongphong"
    ).exists()


# ------------------------------------------------------------------------- the rules -----------


def _w(record: dict[str, Any]) -> list[dict[str, Any]]:
    workflow: list[dict[str, Any]] = record["workflow"]
    return workflow


def _append_after_return(record: dict[str, Any]) -> None:
    _w(record).append({"code": "luu_tru", "name": "Lưu trữ hồ sơ", "kind": "handling"})


def _no_obligation(record: dict[str, Any]) -> None:
    record.update(financial_obligation=False, pause_for_financial_obligation=False)


RULES: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    (
        "reception-not-first",
        lambda r: _w(r).insert(0, _w(r).pop(1)),
        "workflow",
        "Bước đầu tiên (và chỉ bước đầu tiên) của quy trình là tiếp nhận",
    ),
    (
        "two-receptions",
        lambda r: _w(r)[1].update(kind="reception"),
        "workflow",
        "Bước đầu tiên (và chỉ bước đầu tiên) của quy trình là tiếp nhận",
    ),
    (
        "return-not-last",
        _append_after_return,
        "workflow",
        "Bước cuối cùng (và chỉ bước cuối cùng) của quy trình là trả kết quả",
    ),
    (
        "two-returns",
        lambda r: _w(r)[5].update(kind="return"),
        "workflow",
        "Bước cuối cùng (và chỉ bước cuối cùng) của quy trình là trả kết quả",
    ),
    (
        "parallel-reception",
        lambda r: _w(r)[0].update(parallel=True),
        "workflow",
        "không chạy song song",
    ),
    (
        "parallel-resolving-step",
        lambda r: _w(r)[5].update(parallel=True),
        "workflow",
        "không chạy song song",
    ),
    (
        "parallel-return",
        lambda r: _w(r)[6].update(parallel=True),
        "workflow",
        "không chạy song song",
    ),
    (
        "financial-without-obligation",
        _no_obligation,
        "workflow",
        "thủ tục không có nghĩa vụ tài chính",
    ),
    (
        "over-the-statutory-time",
        lambda r: _w(r)[1].update(budget=3),
        "workflow",
        "Tổng thời gian các bước (8.50) vượt thời hạn giải quyết theo quy định (8.00)",
    ),
    (
        "unknown-unit",
        lambda r: _w(r)[2].update(unit="000.99.99.H57"),
        "workflow[3].unit",
        "Mã đơn vị «000.99.99.H57» (trường workflow[3].unit) không có trong cơ cấu tổ chức",
    ),
    (
        "duplicate-code",
        lambda r: _w(r)[3].update(code="tham_dinh"),
        "workflow",
        "Mã bước trong quy trình bị lặp lại",
    ),
    (
        "code-with-diacritics",
        lambda r: _w(r)[1].update(code="thẩm_định"),
        "workflow[2].code",
        "chỉ gồm chữ thường không dấu",
    ),
    (
        "unknown-kind",
        lambda r: _w(r)[1].update(kind="approval"),
        "workflow[2].kind",
        "Giá trị «approval» của trường «workflow[2].kind» không hợp lệ",
    ),
    (
        "unknown-role",
        lambda r: _w(r)[4].update(role="chairman"),
        "workflow[5].role",
        "Giá trị «chairman» của trường «workflow[5].role» không hợp lệ",
    ),
    (
        "negative-budget",
        lambda r: _w(r)[1].update(budget=-1),
        "workflow[2].budget",
        "Thời gian của bước «tham_dinh» phải từ 0 đến 99999",
    ),
    (
        "budget-in-words",
        lambda r: _w(r)[1].update(budget="hai ngày"),
        "workflow[2].budget",
        "Thời gian của bước «tham_dinh» phải là số",
    ),
    (
        "unknown-step-key",
        lambda r: _w(r)[1].update(deadline=2),
        "workflow[2]",
        "Trường «workflow[2]» có khóa không được hỗ trợ: deadline",
    ),
    (
        "step-without-name",
        lambda r: _w(r)[1].pop("name"),
        "workflow[2].name",
        "Thiếu trường bắt buộc «workflow[2].name»",
    ),
    (
        "one-step",
        lambda r: r.update(workflow=_w(r)[:1]),
        "workflow",
        "ít nhất hai bước",
    ),
    (
        "not-a-list",
        lambda r: r.update(workflow="tiep_nhan, tra_ket_qua"),
        "workflow",
        "ít nhất hai bước",
    ),
]


@pytest.mark.parametrize(
    ("break_record", "field", "words"), [rule[1:] for rule in RULES], ids=[r[0] for r in RULES]
)
def test_it_refuses_a_broken_workflow_naming_the_record_and_field_and_writes_nothing(
    demo_units: None,
    demo_records: list[dict[str, Any]],
    break_record: Callable[[dict[str, Any]], Any],
    field: str,
    words: str,
) -> None:
    records = demo_records[:3]
    assert records[1]["national_code"] == LAND_TRANSFER
    break_record(records[1])

    with pytest.raises(ValidationFailed) as caught:
        catalog_import(actor=None, records=records)

    message = str(caught.value.message)
    assert message.startswith(f"Bản ghi số 2 ({LAND_TRANSFER}): ")
    assert words in message
    assert caught.value.extra == {"field": field, "record": 2, "national_code": LAND_TRANSFER}
    assert set(_row_counts().values()) == {0}


def test_it_refuses_a_step_in_parallel_with_the_reception(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, LAND_TRANSFER)
    record["workflow"][1]["parallel"] = True

    with pytest.raises(ValidationFailed) as caught:
        procedure_version_publish(actor=None, record=record)

    assert caught.value.extra == {"field": "workflow"}
    assert WorkflowStep.objects.count() == 0


@pytest.mark.parametrize(
    ("inspection", "consultation", "total"),
    [(5, 8, None), (8, 8, None), (8, 5, None), (5, 9, "16.00"), (9, 5, "16.00")],
)
def test_it_counts_a_parallel_stage_once_by_its_longest_step(
    demo_units: None,
    demo_records: list[dict[str, Any]],
    inspection: int,
    consultation: int,
    total: str | None,
) -> None:
    record = _of(demo_records, BUILDING_PERMIT)
    record["workflow"][1]["budget"] = inspection
    record["workflow"][2]["budget"] = consultation

    if total is None:
        version = procedure_version_publish(actor=None, record=record).version
        assert sum(_stage_budgets(version).values()) == Decimal(15)
        return
    with pytest.raises(ValidationFailed) as caught:
        procedure_version_publish(actor=None, record=record)
    assert f"({total}) vượt thời hạn giải quyết theo quy định (15.00)" in str(caught.value.message)
    assert caught.value.extra == {"field": "workflow"}
    assert WorkflowStep.objects.count() == 0


def test_it_accepts_the_whole_time_and_refuses_one_hundredth_more(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, LAND_TRANSFER)
    record["workflow"][1]["budget"] = 2.51

    with pytest.raises(ValidationFailed) as caught:
        procedure_version_publish(actor=None, record=record)

    assert "Tổng thời gian các bước (8.01) vượt thời hạn" in str(caught.value.message)
    record["workflow"][1]["budget"] = 2.5
    version = procedure_version_publish(actor=None, record=record).version
    assert sum(_stage_budgets(version).values()) == version.statutory_amount == Decimal(8)


def test_it_fills_in_the_units_and_roles_a_step_leaves_out(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, HOUSEHOLD_BUSINESS)
    record["workflow"] = [
        {"code": "tiep_nhan", "name": "Tiếp nhận hồ sơ", "kind": "reception"},
        {"code": "tham_dinh", "name": "Thẩm định hồ sơ", "kind": "handling", "budget": 2},
        {"code": "ky_duyet", "name": "Ký duyệt", "kind": "signing", "unit": "000.00.12.H57"},
        {"code": "tra_ket_qua", "name": "Trả kết quả", "kind": "return"},
    ]

    version = procedure_version_publish(actor=None, record=record).version

    assert _steps(version) == [
        (1, 1, "tiep_nhan", "reception", "000.12.01.H57", "reception_officer", Decimal(0)),
        (2, 2, "tham_dinh", "handling", "000.12.02.H57", "handling_officer", Decimal(2)),
        (3, 3, "ky_duyet", "signing", "000.00.12.H57", "handling_officer", Decimal(0)),
        (4, 4, "tra_ket_qua", "return", "000.12.01.H57", "reception_officer", Decimal(0)),
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            HOUSEHOLD_BUSINESS,
            [
                ("tiep_nhan", "reception", "000.12.01.H57", Decimal(0)),
                ("thu_ly", "handling", "000.12.02.H57", Decimal(3)),
                ("tra_ket_qua", "return", "000.12.01.H57", Decimal(0)),
            ],
        ),
        (
            "2.000815",
            [
                ("tiep_nhan", "reception", "000.12.01.H57", Decimal(0)),
                ("tra_ket_qua", "return", "000.12.01.H57", Decimal(0)),
            ],
        ),
    ],
    ids=["three-days", "on-the-spot"],
)
def test_it_gives_a_record_without_workflow_the_default_one(
    demo_units: None,
    demo_records: list[dict[str, Any]],
    code: str,
    expected: list[tuple[str, str, str, Decimal]],
) -> None:
    record = _of(demo_records, code)
    del record["workflow"]

    version = procedure_version_publish(actor=None, record=record).version

    assert [(s[2], s[3], s[4], s[6]) for s in _steps(version)] == expected


def test_it_publishes_a_new_version_when_only_the_workflow_changes_and_keeps_the_old_steps(
    demo_units: None, demo_records: list[dict[str, Any]]
) -> None:
    record = _of(demo_records, LAND_TRANSFER)
    first = procedure_version_publish(actor=None, record=record).version
    before = _steps(first)
    # The department gives half a day of its examination to the drafting.
    record["workflow"][1]["budget"] = 2
    record["workflow"][3]["budget"] = 1.5

    outcome = procedure_version_publish(actor=None, record=record)

    assert outcome.status == "new_version"
    assert outcome.version.number == 2
    assert outcome.version.content_hash != first.content_hash
    assert _steps(ProcedureVersion.objects.get(pk=first.pk)) == before
    assert [step[-1] for step in _steps(outcome.version)] == [
        Decimal("0.5"),
        Decimal(2),
        Decimal(2),
        Decimal("1.5"),
        Decimal(1),
        Decimal(1),
        Decimal(0),
    ]
    assert outcome.version.components.count() == first.components.count() == 7
    assert procedure_version_publish(actor=None, record=record).status == "unchanged"
    assert WorkflowStep.objects.count() == 14


# ----------------------------------------------------------------- where people see it ---------


def test_it_shows_the_workflow_read_only_in_the_version_admin(
    demo_units: None, demo_records: list[dict[str, Any]], admin_client: Client
) -> None:
    version = procedure_version_publish(actor=None, record=_of(demo_records, LAND_TRANSFER)).version

    url = reverse("admin:catalog_procedureversion_change", args=[version.pk])
    page = admin_client.get(url).content.decode()

    codes = [step[2] for step in _steps(version)]
    assert [page.index(f">{code}<") for code in codes] == sorted(
        page.index(f">{code}<") for code in codes
    )
    assert "Bộ phận Đăng ký và cấp giấy chứng nhận" in page
    assert "Lãnh đạo cơ quan" in page
    assert ">2,5<" in page
    assert 'name="workflow_steps-0-budget"' not in page


def test_it_shows_the_workflow_on_the_public_procedure_page(
    demo_units: None, demo_records: list[dict[str, Any]], client: Client
) -> None:
    procedure_version_publish(actor=None, record=_of(demo_records, BUILDING_PERMIT))

    page = client.get(reverse("portal:procedure", args=[BUILDING_PERMIT])).content.decode()

    assert "Quy trình nội bộ" in page
    assert "Thời gian (ngày)" in page
    assert "Lấy ý kiến Sở Xây dựng về quy hoạch, kiến trúc (khi cần)" in page
    assert "Sở Xây dựng thành phố Huế" in page
    assert page.count("(song song)") == 1
