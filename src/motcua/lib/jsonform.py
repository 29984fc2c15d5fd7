"""Declaration forms (tờ khai) described by a flat JSON Schema (Draft 2020-12): draw, clean, show.

The supported subset, which ``schema_check`` enforces:

* the top level is ``{"type": "object", "properties": {...}}`` with optional ``"$schema"`` (the
  2020-12 URI), ``"title"``, ``"description"``, ``"required"`` (names of properties),
  ``"additionalProperties"`` (true/false) and ``"x-order"``;
* each property is named in ASCII snake_case (it becomes the input's name) and has a ``"type"`` and
  a ``"title"`` (the label), optionally a ``"description"`` (the help text);
* ``string``: ``maxLength``, ``minLength``, ``pattern`` (searched, so anchor it with ^…$),
  ``format`` ``"email"`` or ``"date"``, ``"x-widget"`` ``"textarea"`` or ``"tel"``; or a choice,
  either ``"oneOf": [{"const": "nam", "title": "Nam"}, ...]`` (values with titles: the convention
  for anything shown to people) or a plain ``"enum": [...]`` (values shown as they are), drawn as a
  select, or as radio buttons with ``"x-widget": "radio"``;
* ``integer`` and ``number``: ``minimum``, ``maximum``;
* ``boolean``: a checkbox; ``"const": true`` makes ticking it compulsory (a commitment).

Fields come in the order of ``"x-order"`` when given, else of ``"properties"``. Stores such as
PostgreSQL's jsonb do not keep key order, so whoever stores a schema should write ``x-order``.

Strings without ``maxLength`` are held to ``DEFAULT_MAX_LENGTH`` (``TEXTAREA_MAX_LENGTH`` for a
textarea), so a posted value is never unbounded. Dates are stored ISO (yyyy-mm-dd) and accepted as
dd/mm/yyyy too; numbers are accepted as Vietnamese write them (1.000.000, 1.000,5) and plain
(1000.5); "1.000" is one thousand, as a Vietnamese reads it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaViolation

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DEFAULT_MAX_LENGTH = 1000
TEXTAREA_MAX_LENGTH = 5000
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
TOP_KEYS = {
    "$schema",
    "$comment",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "x-order",
}
COMMON_KEYS = {"type", "title", "description", "$comment"}
TYPE_KEYS = {
    "string": {"maxLength", "minLength", "pattern", "format", "x-widget", "enum", "oneOf"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum"},
    "boolean": {"const"},
}
FORMATS = {"email": "email", "date": "date"}
TEXT_WIDGETS = {"textarea", "tel"}
CHOICE_WIDGETS = {"select", "radio"}
TRUE_WORDS = {"on", "true", "1", "yes", "có"}
FALSE_WORDS = {"", "off", "false", "0", "no", "không"}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DAY_FIRST_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
NUMBER_TEXT = re.compile(r"^([+-]?)([0-9.,]+)$")
SPACES = re.compile(r"\s+")
# Characters a browser never sends from a text box; NUL, for one, cannot be stored in PostgreSQL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_NUMBER_TEXT = 40


@dataclass(frozen=True)
class FormField:
    """One input of a declaration form, read from a property of the schema."""

    name: str
    label: str
    help: str
    # "text" | "textarea" | "email" | "tel" | "date" | "number" | "integer" | "checkbox" |
    # "select" | "radio"
    kind: str
    required: bool
    choices: tuple[tuple[str, str], ...]
    max_length: int | None
    pattern: str | None
    minimum: float | None
    maximum: float | None


# ------------------------------------------------------------------ checking a schema ----------


def schema_check(schema: Any) -> list[str]:
    """What makes the schema unusable as a declaration form, in Vietnamese; empty when usable."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return [_("Tờ khai phải là một đối tượng JSON Schema (type: object).")]
    try:
        json.dumps(schema, allow_nan=False)
    except (TypeError, ValueError):
        return [
            _("Tờ khai chứa giá trị không phải JSON (ví dụ ngày tháng): đặt trong dấu ngoặc kép.")
        ]
    problems = _top_problems(schema)
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return [*problems, _("Tờ khai phải có ít nhất một trường (properties).")]
    for name, prop in properties.items():
        problems += _property_problems(name, prop)
    problems += _required_problems(schema.get("required", []), properties)
    problems += _order_problems(schema, properties)
    if not problems:
        problems += _meta_problems(schema)
    return problems


def _top_problems(schema: dict[str, Any]) -> list[str]:
    problems = [
        _("Khóa «%(k)s» ở cấp trên cùng của tờ khai không được hỗ trợ.") % {"k": key}
        for key in sorted(set(schema) - TOP_KEYS)
    ]
    if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        problems.append(
            _("Chỉ hỗ trợ JSON Schema bản 2020-12 ($schema: %(u)s).") % {"u": DRAFT_2020_12}
        )
    if not isinstance(schema.get("additionalProperties", False), bool):
        problems.append(_("additionalProperties phải là true hoặc false."))
    return problems


def _property_problems(name: Any, prop: Any) -> list[str]:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        return [
            _(
                "Tên trường «%(n)s» chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới, "
                "bắt đầu bằng chữ cái."
            )
            % {"n": name}
        ]
    if not isinstance(prop, dict):
        return [_("Trường «%(n)s» phải là một đối tượng JSON Schema.") % {"n": name}]
    kind = prop.get("type")
    if kind in ("object", "array"):
        return [_("Trường «%(n)s»: không hỗ trợ trường lồng nhau hay danh sách.") % {"n": name}]
    if not isinstance(kind, str) or kind not in TYPE_KEYS:
        return [
            _(
                "Trường «%(n)s»: kiểu «%(t)s» không được hỗ trợ (dùng string, integer, "
                "number hoặc boolean)."
            )
            % {"n": name, "t": kind}
        ]
    problems = [
        _("Trường «%(n)s»: khóa «%(k)s» không dùng được với kiểu «%(t)s».")
        % {"n": name, "k": key, "t": kind}
        for key in sorted(set(prop) - COMMON_KEYS - TYPE_KEYS[kind])
    ]
    if not isinstance(prop.get("title"), str) or not prop["title"].strip():
        problems.append(_("Trường «%(n)s» thiếu tiêu đề (title).") % {"n": name})
    if not isinstance(prop.get("description", ""), str):
        problems.append(_("Trường «%(n)s»: mô tả (description) phải là chuỗi.") % {"n": name})
    checks = {"string": _string_problems, "boolean": _boolean_problems}
    return problems + checks.get(kind, _range_problems)(name, prop)


def _string_problems(name: str, prop: dict[str, Any]) -> list[str]:
    problems = _length_problems(name, prop)
    if "pattern" in prop:
        problems += _pattern_problems(name, prop["pattern"])
    if "format" in prop and prop["format"] not in FORMATS:
        problems.append(
            _("Trường «%(n)s»: định dạng «%(f)s» không được hỗ trợ (dùng email hoặc date).")
            % {"n": name, "f": prop["format"]}
        )
    if "enum" in prop or "oneOf" in prop:
        return problems + _choice_problems(name, prop)
    if "x-widget" in prop and prop["x-widget"] not in TEXT_WIDGETS:
        problems.append(
            _("Trường «%(n)s»: x-widget «%(w)s» không hợp lệ (dùng textarea hoặc tel).")
            % {"n": name, "w": prop["x-widget"]}
        )
    return problems


def _length_problems(name: str, prop: dict[str, Any]) -> list[str]:
    problems = [
        _("Trường «%(n)s»: %(k)s phải là số nguyên không âm.") % {"n": name, "k": key}
        for key in ("minLength", "maxLength")
        if key in prop and not (_is_int(prop[key]) and prop[key] >= 0)
    ]
    if not problems and prop.get("minLength", 0) > prop.get("maxLength", prop.get("minLength", 0)):
        problems.append(_("Trường «%(n)s»: minLength lớn hơn maxLength.") % {"n": name})
    return problems


def _pattern_problems(name: str, pattern: Any) -> list[str]:
    try:
        re.compile(pattern)
    except (re.error, TypeError) as error:
        return [
            _("Trường «%(n)s»: biểu thức chính quy (pattern) không hợp lệ: %(e)s.")
            % {"n": name, "e": error}
        ]
    return []


def _choice_problems(name: str, prop: dict[str, Any]) -> list[str]:
    problems = []
    if "enum" in prop and "oneOf" in prop:
        problems.append(_("Trường «%(n)s»: không dùng đồng thời enum và oneOf.") % {"n": name})
    values = _choice_values(prop)
    if values is None or not values or len(set(values)) != len(values):
        problems.append(
            _(
                "Trường «%(n)s»: danh sách lựa chọn phải không rỗng, giá trị là chuỗi không trùng "
                "nhau: enum: [...] hoặc oneOf: [{const: ..., title: ...}]."
            )
            % {"n": name}
        )
    unsupported = {"maxLength", "minLength", "pattern", "format"} & set(prop)
    if unsupported:
        problems.append(
            _("Trường «%(n)s»: trường lựa chọn không dùng %(k)s.")
            % {"n": name, "k": ", ".join(sorted(unsupported))}
        )
    if "x-widget" in prop and prop["x-widget"] not in CHOICE_WIDGETS:
        problems.append(
            _("Trường «%(n)s»: x-widget «%(w)s» không hợp lệ (dùng select hoặc radio).")
            % {"n": name, "w": prop["x-widget"]}
        )
    return problems


def _choice_values(prop: dict[str, Any]) -> list[str] | None:
    """The allowed values of a choice, or None when the list is malformed."""
    if "enum" in prop:
        values = prop["enum"]
        ok = isinstance(values, list) and all(isinstance(v, str) for v in values)
        return values if ok else None
    options = prop.get("oneOf")
    if not isinstance(options, list) or not all(_is_titled_const(o) for o in options):
        return None
    return [option["const"] for option in options]


def _is_titled_const(option: Any) -> bool:
    return (
        isinstance(option, dict)
        and set(option) == {"const", "title"}
        and isinstance(option["const"], str)
        and isinstance(option["title"], str)
        and bool(option["title"].strip())
    )


def _boolean_problems(name: str, prop: dict[str, Any]) -> list[str]:
    if "const" in prop and prop["const"] is not True:
        return [_("Trường «%(n)s»: const chỉ nhận giá trị true (ô phải đánh dấu).") % {"n": name}]
    return []


def _range_problems(name: str, prop: dict[str, Any]) -> list[str]:
    problems = [
        _("Trường «%(n)s»: %(k)s phải là một số.") % {"n": name, "k": key}
        for key in ("minimum", "maximum")
        if key in prop and not _is_number(prop[key])
    ]
    if not problems and prop.get("minimum", 0) > prop.get("maximum", prop.get("minimum", 0)):
        problems.append(_("Trường «%(n)s»: minimum lớn hơn maximum.") % {"n": name})
    return problems


def _required_problems(required: Any, properties: dict[str, Any]) -> list[str]:
    names = required if isinstance(required, list) else None
    if names is None or not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        return [_("required phải là danh sách tên các trường, không trùng nhau.")]
    return [
        _("required nêu trường «%(n)s» không có trong properties.") % {"n": name}
        for name in names
        if name not in properties
    ]


def _order_problems(schema: dict[str, Any], properties: dict[str, Any]) -> list[str]:
    order = schema.get("x-order", list(properties))
    if not isinstance(order, list) or sorted(map(str, order)) != sorted(properties):
        return [_("x-order phải liệt kê mỗi trường của properties đúng một lần.")]
    return []


def _meta_problems(schema: dict[str, Any]) -> list[str]:
    # The checks above cover the supported subset; the meta-schema catches whatever they missed.
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [_("Tờ khai không hợp lệ theo JSON Schema 2020-12: %(e)s") % {"e": error.message}]
    return []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ------------------------------------------------------------------ fields -------------------


def form_fields(schema: dict[str, Any]) -> list[FormField]:
    """The form's inputs, in ``x-order`` (else ``properties``) order; the schema must be checked."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    order = schema.get("x-order") or list(properties)
    return [_field(name, properties[name], name in required) for name in order]


def _field(name: str, prop: dict[str, Any], required: bool) -> FormField:
    kind = _kind(prop)
    numeric = kind in ("integer", "number")
    return FormField(
        name=name,
        label=str(prop.get("title") or name),
        help=str(prop.get("description") or ""),
        kind=kind,
        required=prop.get("const") is True if kind == "checkbox" else required,
        choices=_choices(prop),
        max_length=_max_length(prop, kind),
        pattern=prop.get("pattern") if kind not in ("select", "radio") else None,
        minimum=float(prop["minimum"]) if numeric and "minimum" in prop else None,
        maximum=float(prop["maximum"]) if numeric and "maximum" in prop else None,
    )


def _kind(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return str(kind)
    if "enum" in prop or "oneOf" in prop:
        return "radio" if prop.get("x-widget") == "radio" else "select"
    if prop.get("format") in FORMATS:
        return FORMATS[prop["format"]]
    widget = prop.get("x-widget")
    return widget if widget in TEXT_WIDGETS else "text"


def _choices(prop: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    if isinstance(prop.get("oneOf"), list):
        return tuple((str(o.get("const")), str(o.get("title"))) for o in prop["oneOf"])
    if isinstance(prop.get("enum"), list):
        return tuple((str(value), str(value)) for value in prop["enum"])
    return ()


def _max_length(prop: dict[str, Any], kind: str) -> int | None:
    if kind not in ("text", "textarea", "email", "tel"):
        return None
    default = TEXTAREA_MAX_LENGTH if kind == "textarea" else DEFAULT_MAX_LENGTH
    value = prop.get("maxLength", default)
    return value if _is_int(value) else default


# ------------------------------------------------------------------ cleaning a post ----------


class _Invalid(Exception):
    """A posted value that cannot be read as its field's type; the message says why."""


def form_clean(
    schema: dict[str, Any], raw: Mapping[str, str | list[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted strings read by type and validated: (clean data, {field name: message})."""
    fields = form_fields(schema)
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        try:
            value = _coerce(field, _posted(raw, field.name))
        except _Invalid as error:
            errors[field.name] = str(error)
            continue
        if value is not None:
            data[field.name] = value
        elif field.required:
            errors[field.name] = _("Trường này là bắt buộc.")
    by_name = {field.name: field for field in fields}
    for violation in _validator(schema).iter_errors(data):
        name = str(violation.path[0]) if violation.path else ""
        if name in by_name and name not in errors:
            errors[name] = _message(violation, by_name[name])
    clean = {name: value for name, value in data.items() if name not in errors}
    return clean, {field.name: errors[field.name] for field in fields if field.name in errors}


def _posted(raw: Mapping[str, str | list[str]], name: str) -> str:
    # A QueryDict gives the last value of a repeated key, and so does this.
    value = raw.get(name, "")
    if isinstance(value, list | tuple):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def _coerce(field: FormField, text: str) -> Any:
    """The field's value read from the posted text; None when nothing was given."""
    text = CONTROL.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", "\n").strip()
    if field.kind == "checkbox":
        return text.casefold() not in FALSE_WORDS
    if field.kind != "textarea":
        text = SPACES.sub(" ", text)
    if not text:
        return None
    readers = {"integer": _integer, "number": _number, "date": _date, "tel": _phone}
    value = readers.get(field.kind, str)(text)
    if isinstance(value, str) and field.max_length is not None and len(value) > field.max_length:
        raise _Invalid(_("Không quá %(n)s ký tự.") % {"n": _number_text(field.max_length)})
    return value


def _integer(text: str) -> int:
    value = _decimal(text, integer=True)
    if value is None or value != value.to_integral_value():
        raise _Invalid(_("Phải là số nguyên."))
    return int(value)


def _number(text: str) -> int | float:
    value = _decimal(text, integer=False)
    if value is None:
        raise _Invalid(_("Phải là một số (ví dụ 1.000 hoặc 2,5)."))
    return int(value) if value == value.to_integral_value() else float(value)


def _decimal(text: str, *, integer: bool) -> Decimal | None:
    """A number as Vietnamese write it (1.000.000; 1.000,5; 2,5) or plainly (1000.5)."""
    compact = "".join(ch for ch in text if not ch.isspace())
    match = NUMBER_TEXT.match(compact) if len(compact) <= MAX_NUMBER_TEXT else None
    if match is None:
        return None
    sign, body = match.groups()
    split = _split_number(body, integer=integer)
    if split is None:
        return None
    whole, fraction = split
    try:
        return Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        return None


def _split_number(body: str, *, integer: bool) -> tuple[str, str] | None:
    """(whole digits, fraction digits) of a number without its sign, or None."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
        group = "." if decimal_mark == "," else ","
        whole, _mark, fraction = body.partition(decimal_mark)
        if decimal_mark in fraction or not _grouped(whole, group):
            return None
        return _digits(whole.replace(group, ""), fraction)
    mark = "." if dots else "," if commas else ""
    if not mark:
        return _digits(body, "")
    # One comma is the Vietnamese decimal mark; one dot followed by three digits is a thousands
    # separator ("1.000" is a thousand), except in an integer, where any lone mark followed by
    # three digits is one. Several marks of one kind can only be separators.
    several = body.count(mark) > 1
    if several or ((mark == "." or integer) and _grouped(body, mark)):
        return _digits(body.replace(mark, ""), "") if _grouped(body, mark) else None
    whole, _mark, fraction = body.partition(mark)
    return _digits(whole, fraction)


def _grouped(text: str, mark: str) -> bool:
    return re.fullmatch(rf"[1-9][0-9]{{0,2}}(?:{re.escape(mark)}[0-9]{{3}})+", text) is not None


def _digits(whole: str, fraction: str) -> tuple[str, str] | None:
    ok = (whole + fraction).isascii() and (whole + fraction).isdigit()
    return (whole, fraction) if ok else None


def _date(text: str) -> str:
    iso, day_first = ISO_DATE.match(text), DAY_FIRST_DATE.match(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        if day_first:
            return date(int(day_first[3]), int(day_first[2]), int(day_first[1])).isoformat()
    except ValueError:
        pass
    raise _Invalid(_("Ngày không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)."))


def _phone(text: str) -> str:
    # People type "0905 123 456" or "0905.123.456"; the schema's pattern sees the digits.
    return re.sub(r"[\s.()-]", "", text)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    checker = FormatChecker(formats=())
    checker.checks("email")(_is_email)
    checker.checks("date")(_is_iso_date)
    return Draft202012Validator(schema, format_checker=checker)


def _is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        EmailValidator()(value)
    except ValidationError:
        return False
    return True


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _message(violation: SchemaViolation, field: FormField) -> str:
    """The Vietnamese message for a schema violation on one field."""
    keyword = violation.validator
    if keyword in ("minimum", "maximum"):
        return _range_message(field)
    if keyword == "maxLength":
        return _("Không quá %(n)s ký tự.") % {"n": _number_text(violation.validator_value)}
    if keyword == "minLength":
        return _("Ít nhất %(n)s ký tự.") % {"n": _number_text(violation.validator_value)}
    if keyword == "format":
        return _format_message(field)
    if keyword == "pattern":
        if field.kind == "tel":
            return _("Số điện thoại không hợp lệ.")
        return _("Giá trị không đúng định dạng yêu cầu.")
    if keyword == "const" and field.kind == "checkbox":
        return _("Bạn cần đánh dấu vào ô này.")
    if keyword in ("enum", "oneOf", "const"):
        return _("Chọn một trong các giá trị cho phép.")
    if keyword == "type" and field.kind == "integer":
        return _("Phải là số nguyên.")
    return _("Giá trị không hợp lệ.")


def _format_message(field: FormField) -> str:
    if field.kind == "email":
        return _("Thư điện tử không hợp lệ.")
    return _("Ngày không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd).")


def _range_message(field: FormField) -> str:
    low, high = field.minimum, field.maximum
    if low is not None and high is not None:
        return _("Giá trị phải từ %(min)s đến %(max)s.") % {
            "min": _number_text(low),
            "max": _number_text(high),
        }
    if low is not None:
        return _("Giá trị phải từ %(min)s trở lên.") % {"min": _number_text(low)}
    return _("Giá trị không được lớn hơn %(max)s.") % {"max": _number_text(high)}


# ------------------------------------------------------------------ showing a declaration ----


def form_display(schema: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value as shown) of every field, for officers' pages and PDFs; "—" when not given."""
    return [(field.label, _shown(field, data.get(field.name))) for field in form_fields(schema)]


def _shown(field: FormField, value: Any) -> str:
    if field.kind == "checkbox":
        return _("Có") if value is True else _("Không")
    if value is None or value == "":
        return "—"
    if field.choices:
        return dict(field.choices).get(str(value), str(value))
    if field.kind == "date" and isinstance(value, str) and ISO_DATE.match(value):
        year, month, day = value.split("-")
        return f"{int(day):02d}/{int(month):02d}/{year}"
    if field.kind in ("integer", "number") and _is_number(value):
        return _number_text(value)
    return str(value)


def _number_text(value: Any) -> str:
    """A number as Vietnamese write it: dots between thousands, a comma before decimals."""
    if value is None:
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}".replace(",", ".")
    whole, _mark, fraction = f"{abs(number):f}".partition(".")
    sign = "-" if number < 0 else ""
    return f"{sign}{int(whole):,}".replace(",", ".") + "," + fraction.rstrip("0")
