"""Writes to the catalogue: publishing procedure versions and importing a whole catalogue.

A record is the plain dict read from the catalogue file (see ``catalog/data/hue_catalog.yaml``
for every key). Publishing is idempotent: a record identical to the latest version writes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NoReturn

from django.db import transaction
from django.utils.translation import gettext as _

from motcua.agencies.models import Role, Unit
from motcua.audit.services import event_append
from motcua.catalog.models import (
    ComponentForm,
    FeeCollector,
    FeeItem,
    FeeKind,
    OnlineMode,
    Procedure,
    ProcedureComponent,
    ProcedureVersion,
    Sector,
    StatutoryUnit,
    StepKind,
    WorkflowStep,
)
from motcua.core.errors import ValidationFailed
from motcua.lib.jsonform import schema_check
from motcua.lib.text import fold

PublishStatus = Literal["created", "new_version", "unchanged"]

RECORD_KEYS = {
    "national_code",
    "name",
    "sector",
    "competent_unit",
    "receiving_unit",
    "statutory_amount",
    "statutory_unit",
    "is_on_the_spot",
    "financial_obligation",
    "pause_for_financial_obligation",
    "result_type",
    "result_is_document",
    "online_mode",
    "applicant_types",
    "steps",
    "method",
    "legal_basis",
    "requirements",
    "components",
    "fees",
    "workflow",
    "form",
}
COMPONENT_KEYS = {"name", "form", "quantity", "mandatory", "note"}
FEE_KEYS = {"kind", "name", "amount", "basis", "collected_by"}
STEP_KEYS = {"code", "name", "kind", "unit", "role", "budget", "parallel"}
STEP_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
TEXT_KEYS = ("applicant_types", "steps", "method", "legal_basis", "requirements")
FLAG_KEYS = ("is_on_the_spot", "financial_obligation", "pause_for_financial_obligation")
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
MAX_AMOUNT = Decimal("99999.99")


@dataclass(frozen=True)
class PublishOutcome:
    procedure: Procedure
    version: ProcedureVersion
    status: PublishStatus


def _fail(message: str, field: str) -> NoReturn:
    raise ValidationFailed(message, extra={"field": field})


def _text(
    data: dict[str, Any],
    key: str,
    *,
    field: str,
    required: bool = False,
    max_length: int | None = None,
) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        # Codes such as 2.000720 must be quoted: unquoted, YAML reads them as the number 2.00072.
        _fail(
            _("Trường «%(f)s» phải là chuỗi ký tự (đặt trong dấu ngoặc kép).") % {"f": field}, field
        )
    text = value.strip()
    if required and not text:
        _fail(_("Thiếu trường bắt buộc «%(f)s».") % {"f": field}, field)
    if max_length is not None and len(text) > max_length:
        _fail(_("Trường «%(f)s» dài quá %(n)s ký tự.") % {"f": field, "n": max_length}, field)
    return text


def _flag(data: dict[str, Any], key: str, *, field: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        _fail(_("Trường «%(f)s» phải là true hoặc false.") % {"f": field}, field)
    return value


def _choice(
    data: dict[str, Any], key: str, choices: type[Any], *, field: str, default: str | None = None
) -> str:
    value = data.get(key, default)
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        _fail(
            _("Giá trị «%(v)s» của trường «%(f)s» không hợp lệ; dùng một trong: %(a)s.")
            % {"v": value, "f": field, "a": allowed},
            field,
        )
    return str(value)


def _mapping(value: Any, *, field: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(_("Trường «%(f)s» phải là một bảng khóa: giá trị.") % {"f": field}, field)
    unknown = sorted(set(value) - allowed)
    if unknown:
        _fail(
            _("Trường «%(f)s» có khóa không được hỗ trợ: %(k)s.")
            % {"f": field, "k": ", ".join(unknown)},
            field,
        )
    return value


def _code(data: dict[str, Any], key: str, *, field: str) -> str:
    code = _text(data, key, field=field, required=True, max_length=40)
    if not CODE_PATTERN.match(code):
        _fail(_("Mã «%(c)s» của trường «%(f)s» không hợp lệ.") % {"c": code, "f": field}, field)
    return code


def _statutory_amount(data: dict[str, Any], unit: str) -> str:
    raw = data.get("statutory_amount", 1 if unit == StatutoryUnit.SAME_DAY else None)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        _fail(_("Thiếu thời hạn giải quyết (statutory_amount)."), "statutory_amount")
    try:
        amount = Decimal(str(raw)).quantize(Decimal("0.01"))
    except InvalidOperation:
        _fail(_("Thời hạn giải quyết «%(v)s» không phải là số.") % {"v": raw}, "statutory_amount")
    if not Decimal(0) < amount <= MAX_AMOUNT:
        _fail(_("Thời hạn giải quyết phải lớn hơn 0 và không quá 99999."), "statutory_amount")
    return str(amount)


def _component(raw: Any, index: int) -> dict[str, Any]:
    field = f"components[{index}]"
    item = _mapping(raw, field=field, allowed=COMPONENT_KEYS)
    quantity = item.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        _fail(
            _("Số lượng của thành phần hồ sơ thứ %(i)s phải là số nguyên từ 1 trở lên.")
            % {"i": index},
            f"{field}.quantity",
        )
    return {
        "name": _text(item, "name", field=f"{field}.name", required=True, max_length=500),
        "form": _choice(item, "form", ComponentForm, field=f"{field}.form"),
        "quantity": quantity,
        "mandatory": _flag(item, "mandatory", field=f"{field}.mandatory", default=True),
        "note": _text(item, "note", field=f"{field}.note"),
    }


def _components(data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("components")
    if not isinstance(raw, list) or not raw:
        _fail(_("Thủ tục phải có ít nhất một thành phần hồ sơ (components)."), "components")
    items = [_component(item, index) for index, item in enumerate(raw, start=1)]
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        key = item["name"].casefold()
        if key in seen:
            _fail(
                _("Thành phần hồ sơ «%(n)s» bị lặp lại.") % {"n": item["name"]},
                f"components[{index}].name",
            )
        seen.add(key)
    return items


def _fee(raw: Any, index: int) -> dict[str, Any]:
    field = f"fees[{index}]"
    item = _mapping(raw, field=field, allowed=FEE_KEYS)
    amount = item.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        _fail(
            _("Mức thu của khoản thứ %(i)s phải là số nguyên (đồng) hoặc để trống.") % {"i": index},
            f"{field}.amount",
        )
    if amount is not None and amount < 0:
        _fail(_("Mức thu của khoản thứ %(i)s không được âm.") % {"i": index}, f"{field}.amount")
    return {
        "kind": _choice(item, "kind", FeeKind, field=f"{field}.kind"),
        "name": _text(item, "name", field=f"{field}.name", required=True, max_length=500),
        "amount": amount,
        "basis": _text(item, "basis", field=f"{field}.basis"),
        "collected_by": _choice(
            item,
            "collected_by",
            FeeCollector,
            field=f"{field}.collected_by",
            default=FeeCollector.CENTER,
        ),
    }


def _fees(data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("fees")
    if raw is None:
        return []
    if not isinstance(raw, list):
        _fail(_("Trường «fees» phải là một danh sách."), "fees")
    return [_fee(item, index) for index, item in enumerate(raw, start=1)]


def _step(raw: Any, index: int) -> dict[str, Any]:
    field = f"workflow[{index}]"
    item = _mapping(raw, field=field, allowed=STEP_KEYS)
    code = _text(item, "code", field=f"{field}.code", required=True, max_length=40)
    if not STEP_CODE_PATTERN.match(code):
        _fail(
            _("Mã bước «%(c)s» chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới.")
            % {"c": code},
            f"{field}.code",
        )
    kind = _choice(item, "kind", StepKind, field=f"{field}.kind")
    at_desk = kind in (StepKind.RECEPTION, StepKind.RETURN)
    default_role = Role.RECEPTION_OFFICER if at_desk else Role.HANDLING_OFFICER
    budget = item.get("budget", 0)
    if isinstance(budget, bool) or not isinstance(budget, int | float | str | Decimal):
        _fail(_("Thời gian của bước «%(c)s» phải là số.") % {"c": code}, f"{field}.budget")
    try:
        amount = Decimal(str(budget)).quantize(Decimal("0.01"))
    except InvalidOperation:
        _fail(_("Thời gian của bước «%(c)s» phải là số.") % {"c": code}, f"{field}.budget")
    if not Decimal(0) <= amount <= MAX_AMOUNT:
        _fail(_("Thời gian của bước «%(c)s» phải từ 0 đến 99999.") % {"c": code}, f"{field}.budget")
    unit = item.get("unit") or ""
    return {
        "code": code,
        "name": _text(item, "name", field=f"{field}.name", required=True, max_length=300),
        "kind": kind,
        "unit": _code(item, "unit", field=f"{field}.unit") if unit else "",
        "role": _choice(item, "role", Role, field=f"{field}.role", default=default_role),
        "budget": str(amount),
        "parallel": _flag(item, "parallel", field=f"{field}.parallel", default=False),
    }


def default_workflow(*, statutory_amount: str, on_the_spot: bool) -> list[dict[str, Any]]:
    """Reception, one handling step at the competent unit with the whole time, return."""
    desk = {"unit": "", "role": Role.RECEPTION_OFFICER, "budget": "0.00", "parallel": False}
    handling = {
        "code": "thu_ly",
        "name": str(StepKind.HANDLING.label),
        "kind": StepKind.HANDLING,
        "unit": "",
        "role": Role.HANDLING_OFFICER,
        "budget": statutory_amount,
        "parallel": False,
    }
    return [
        {"code": "tiep_nhan", "name": str(StepKind.RECEPTION.label), "kind": "reception"} | desk,
        *([] if on_the_spot else [handling]),
        {"code": "tra_ket_qua", "name": str(StepKind.RETURN.label), "kind": "return"} | desk,
    ]


def _stages(steps: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    stages: list[list[dict[str, Any]]] = []
    for step in steps:
        if step["parallel"] and stages:
            stages[-1].append(step)
        else:
            stages.append([step])
    return stages


def _workflow(data: dict[str, Any], canonical: dict[str, Any]) -> list[dict[str, Any]]:
    """The internal workflow, checked: reception first, return last, budgets within the law."""
    raw = data.get("workflow")
    if raw is None:
        return default_workflow(
            statutory_amount=canonical["statutory_amount"],
            on_the_spot=canonical["is_on_the_spot"],
        )
    if not isinstance(raw, list) or len(raw) < 2:
        _fail(_("Quy trình (workflow) phải là danh sách có ít nhất hai bước."), "workflow")
    steps = [_step(item, index) for index, item in enumerate(raw, start=1)]
    kinds = [step["kind"] for step in steps]
    if kinds[0] != StepKind.RECEPTION or kinds.count(StepKind.RECEPTION) != 1:
        _fail(_("Bước đầu tiên (và chỉ bước đầu tiên) của quy trình là tiếp nhận."), "workflow")
    if kinds[-1] != StepKind.RETURN or kinds.count(StepKind.RETURN) != 1:
        _fail(_("Bước cuối cùng (và chỉ bước cuối cùng) của quy trình là trả kết quả."), "workflow")
    # Reception is finished at intake, so nothing runs beside it; the last processing step
    # resolves the dossier and the return closes it, so they stand alone too.
    alone = [steps[0], steps[1], steps[-2], steps[-1]]
    if any(step["parallel"] for step in alone):
        _fail(
            _(
                "Bước tiếp nhận, bước ngay sau nó, bước giải quyết cuối cùng và bước trả kết "
                "quả không chạy song song."
            ),
            "workflow",
        )
    if StepKind.FINANCIAL in kinds and not canonical["financial_obligation"]:
        _fail(
            _("Quy trình có bước nghĩa vụ tài chính nhưng thủ tục không có nghĩa vụ tài chính."),
            "workflow",
        )
    codes = [step["code"] for step in steps]
    if len(set(codes)) != len(codes):
        _fail(_("Mã bước trong quy trình bị lặp lại."), "workflow")
    total = sum(max(Decimal(s["budget"]) for s in stage) for stage in _stages(steps))
    if total > Decimal(canonical["statutory_amount"]):
        _fail(
            _(
                "Tổng thời gian các bước (%(total)s) vượt thời hạn giải quyết theo quy định "
                "(%(limit)s)."
            )
            % {"total": total, "limit": canonical["statutory_amount"]},
            "workflow",
        )
    return steps


def _form(data: dict[str, Any]) -> dict[str, Any]:
    """The declaration's JSON Schema, checked, with its field order written out (``x-order``)."""
    raw = data.get("form")
    if raw is None:
        return {}
    problems = schema_check(raw)
    if problems:
        _fail(
            _("Tờ khai điện tử (form) không dùng được: %(p)s") % {"p": " ".join(problems)},
            "form",
        )
    # The order of the fields is the order of the file; written out, it survives storage that
    # sorts keys (jsonb) and counts in the content hash, so reordering publishes a new version.
    return {"x-order": list(raw["properties"]), **copy.deepcopy(raw)}


def _sector(data: dict[str, Any]) -> dict[str, str]:
    sector = _mapping(data.get("sector"), field="sector", allowed={"code", "name"})
    return {
        "code": _code(sector, "code", field="sector.code"),
        "name": _text(sector, "name", field="sector.name", required=True, max_length=255),
    }


def record_canonical(record: Any) -> dict[str, Any]:
    """Validate a catalogue record and return it with every default filled in (no database)."""
    data = _mapping(record, field="record", allowed=RECORD_KEYS)
    unit = _choice(data, "statutory_unit", StatutoryUnit, field="statutory_unit")
    canonical: dict[str, Any] = {
        "national_code": _code(data, "national_code", field="national_code"),
        "name": _text(data, "name", field="name", required=True, max_length=500),
        "sector": _sector(data),
        "competent_unit": _code(data, "competent_unit", field="competent_unit"),
        "receiving_unit": _code(data, "receiving_unit", field="receiving_unit"),
        "statutory_amount": _statutory_amount(data, unit),
        "statutory_unit": unit,
        "result_type": _text(
            data, "result_type", field="result_type", required=True, max_length=500
        ),
        "result_is_document": _flag(
            data, "result_is_document", field="result_is_document", default=True
        ),
        "online_mode": _choice(data, "online_mode", OnlineMode, field="online_mode"),
        "components": _components(data),
        "fees": _fees(data),
    }
    canonical |= {key: _flag(data, key, field=key, default=False) for key in FLAG_KEYS}
    canonical |= {key: _text(data, key, field=key) for key in TEXT_KEYS}
    if canonical["pause_for_financial_obligation"] and not canonical["financial_obligation"]:
        _fail(
            _("Chỉ được tạm dừng tính thời hạn khi thủ tục có nghĩa vụ tài chính."),
            "pause_for_financial_obligation",
        )
    canonical["workflow"] = _workflow(data, canonical)
    # Only a record with a form has the key, so the hash of every record without one stays the
    # same and adding this key to the format published no new versions.
    form = _form(data)
    if form:
        canonical["form"] = form
    return canonical


def record_hash(canonical: dict[str, Any]) -> str:
    """SHA-256 of the canonical record, the same for the same content whatever the file layout."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _units(canonical: dict[str, Any]) -> dict[str, Unit]:
    """Every unit the record names, by code; a code missing from the tree is an error."""
    named = [(canonical[f], f) for f in ("competent_unit", "receiving_unit")] + [
        (step["unit"], f"workflow[{i}].unit")
        for i, step in enumerate(canonical["workflow"], start=1)
        if step["unit"]
    ]
    found = {u.code: u for u in Unit.objects.filter(code__in={code for code, _f in named})}
    for code, field in named:
        if code not in found:
            _fail(
                _("Mã đơn vị «%(c)s» (trường %(f)s) không có trong cơ cấu tổ chức.")
                % {"c": code, "f": field},
                field,
            )
    return found


def _sector_upsert(*, code: str, name: str) -> Sector:
    sector, created = Sector.objects.get_or_create(code=code, defaults={"name": name})
    if not created and sector.name != name:
        sector.name = name
        sector.save(update_fields=["name", "updated_at"])
    return sector


def _procedure_upsert(*, canonical: dict[str, Any], procedure: Procedure | None) -> Procedure:
    sector = _sector_upsert(**canonical["sector"])
    code, name = canonical["national_code"], canonical["name"]
    search_text = fold(f"{code} {name}")
    if procedure is None:
        return Procedure.objects.create(
            national_code=code, name=name, sector=sector, search_text=search_text
        )
    procedure.name, procedure.sector, procedure.search_text = name, sector, search_text
    procedure.save(update_fields=["name", "sector", "search_text", "updated_at"])
    return procedure


def _version_create(
    *,
    procedure: Procedure,
    number: int,
    canonical: dict[str, Any],
    digest: str,
    units: dict[str, Unit],
    actor: Any,
) -> ProcedureVersion:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=number,
        name=canonical["name"],
        competent_unit=units[canonical["competent_unit"]],
        receiving_unit=units[canonical["receiving_unit"]],
        statutory_amount=Decimal(canonical["statutory_amount"]),
        statutory_unit=canonical["statutory_unit"],
        result_type=canonical["result_type"],
        result_is_document=canonical["result_is_document"],
        online_mode=canonical["online_mode"],
        form_schema=canonical.get("form", {}),
        content_hash=digest,
        published_by=actor if authenticated else None,
        **{key: canonical[key] for key in (*FLAG_KEYS, *TEXT_KEYS)},
    )
    ProcedureComponent.objects.bulk_create(
        ProcedureComponent(
            version=version,
            position=position,
            name=item["name"],
            form=item["form"],
            quantity=item["quantity"],
            is_mandatory=item["mandatory"],
            note=item["note"],
        )
        for position, item in enumerate(canonical["components"], start=1)
    )
    FeeItem.objects.bulk_create(
        FeeItem(version=version, position=position, **item)
        for position, item in enumerate(canonical["fees"], start=1)
    )
    _workflow_create(version=version, steps=canonical["workflow"], units=units)
    return version


def _workflow_create(
    *, version: ProcedureVersion, steps: list[dict[str, Any]], units: dict[str, Unit]
) -> None:
    rows = []
    stage = 0
    for position, step in enumerate(steps, start=1):
        stage += 0 if step["parallel"] else 1
        at_desk = step["kind"] in (StepKind.RECEPTION, StepKind.RETURN)
        default_unit = version.receiving_unit if at_desk else version.competent_unit
        rows.append(
            WorkflowStep(
                version=version,
                position=position,
                stage=stage,
                code=step["code"],
                name=step["name"],
                kind=step["kind"],
                unit=units[step["unit"]] if step["unit"] else default_unit,
                role=step["role"],
                budget=Decimal(step["budget"]),
            )
        )
    WorkflowStep.objects.bulk_create(rows)


@transaction.atomic
def procedure_version_publish(*, actor: Any, record: dict[str, Any]) -> PublishOutcome:
    """Publish a catalogue record as the procedure's next version, unless it is unchanged."""
    canonical = record_canonical(record)
    units = _units(canonical)
    digest = record_hash(canonical)
    procedure = (
        Procedure.objects.select_for_update()
        .filter(national_code=canonical["national_code"])
        .first()
    )
    latest = procedure.versions.order_by("-number").first() if procedure else None
    if procedure is not None and latest is not None and latest.content_hash == digest:
        return PublishOutcome(procedure=procedure, version=latest, status="unchanged")
    procedure = _procedure_upsert(canonical=canonical, procedure=procedure)
    number = latest.number + 1 if latest else 1
    version = _version_create(
        procedure=procedure,
        number=number,
        canonical=canonical,
        digest=digest,
        units=units,
        actor=actor,
    )
    event_append(
        actor=actor,
        kind="procedure.version_published",
        target_type="procedure",
        target_id=procedure.national_code,
        data={"version": number, "hash": digest},
    )
    status: PublishStatus = "new_version" if latest else "created"
    return PublishOutcome(procedure=procedure, version=version, status=status)


def _record_code(record: Any) -> str:
    code = record.get("national_code") if isinstance(record, dict) else None
    return str(code) if code else "?"


def _check_unique_codes(records: list[Any]) -> None:
    seen: dict[str, int] = {}
    for index, record in enumerate(records, start=1):
        code = _record_code(record)
        if code != "?" and code in seen:
            raise ValidationFailed(
                _("Bản ghi số %(i)s (%(c)s): mã thủ tục đã có ở bản ghi số %(j)s.")
                % {"i": index, "c": code, "j": seen[code]},
                extra={"field": "national_code", "record": index, "national_code": code},
            )
        seen[code] = index


def _publish_numbered(*, actor: Any, record: Any, index: int) -> PublishOutcome:
    try:
        return procedure_version_publish(actor=actor, record=record)
    except ValidationFailed as error:
        code = _record_code(record)
        raise ValidationFailed(
            _("Bản ghi số %(i)s (%(c)s): %(m)s") % {"i": index, "c": code, "m": error.message},
            extra={**error.extra, "record": index, "national_code": code},
        ) from error


def catalog_import(
    *, actor: Any, records: list[dict[str, Any]], dry_run: bool = False
) -> list[PublishOutcome]:
    """Publish every record in one transaction: all or nothing; a dry run always rolls back."""
    if not isinstance(records, list):
        raise ValidationFailed(
            _("Danh mục phải là một danh sách thủ tục."), extra={"field": "procedures"}
        )
    _check_unique_codes(records)
    with transaction.atomic():
        outcomes = [
            _publish_numbered(actor=actor, record=record, index=index)
            for index, record in enumerate(records, start=1)
        ]
        if dry_run:
            transaction.set_rollback(True)
    return outcomes
