"""Declaration forms from JSON Schema: checking the schema, reading a post, showing the answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from motcua.lib.jsonform import (
    DEFAULT_MAX_LENGTH,
    TEXTAREA_MAX_LENGTH,
    form_clean,
    form_display,
    form_fields,
    schema_check,
)

REQUIRED = "Trường này là bắt buộc."
NOT_INTEGER = "Phải là số nguyên."
BAD_DATE = "Ngày không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)."
BAD_CHOICE = "Chọn một trong các giá trị cho phép."

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ho_ten", "ngay_sinh", "gioi_tinh", "so_ban", "cam_ket"],
    "properties": {
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm, tên", "maxLength": 20},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày, tháng, năm sinh"},
        "gioi_tinh": {
            "type": "string",
            "title": "Giới tính",
            "x-widget": "radio",
            "oneOf": [{"const": "nam", "title": "Nam"}, {"const": "nu", "title": "Nữ"}],
        },
        "dan_toc": {"type": "string", "title": "Dân tộc", "enum": ["Kinh", "Tày", "Thái"]},
        "so_ban": {"type": "integer", "title": "Số bản", "minimum": 1, "maximum": 5},
        "von": {"type": "integer", "title": "Vốn (đồng)", "minimum": 1000000},
        "dien_tich": {"type": "number", "title": "Diện tích (m²)", "maximum": 10000},
        "dien_thoai": {
            "type": "string",
            "title": "Điện thoại",
            "x-widget": "tel",
            "pattern": "^0[0-9]{9}$",
        },
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
        "ghi_chu": {
            "type": "string",
            "title": "Ghi chú",
            "description": "Điều cần nói thêm.",
            "x-widget": "textarea",
        },
        "ma_so": {"type": "string", "title": "Mã số", "minLength": 3, "pattern": "^[A-Z0-9]+$"},
        "cam_ket": {"type": "boolean", "title": "Tôi cam kết", "const": True},
        "nhan_ban_giay": {"type": "boolean", "title": "Nhận bản giấy"},
    },
}
VALID_POST = {
    "ho_ten": "Nguyễn Văn An",
    "ngay_sinh": "05/03/2024",
    "gioi_tinh": "nam",
    "so_ban": "2",
    "cam_ket": "on",
}


def _post(**changes: str | list[str]) -> dict[str, str | list[str]]:
    return {**VALID_POST, **changes}


def _schema(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


# ------------------------------------------------------------------ schema_check -------------


def test_it_accepts_the_supported_subset() -> None:
    assert schema_check(SCHEMA) == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ([], "type: object"),
        ({"type": "array", "items": {}}, "type: object"),
        ({"type": "object", "properties": {}}, "ít nhất một trường"),
        (
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                **_schema(a={"type": "string", "title": "A"}),
            },
            "2020-12",
        ),
        ({**_schema(a={"type": "string", "title": "A"}), "allOf": []}, "«allOf»"),
        (_schema(a={"type": "object", "title": "A"}), "lồng nhau"),
        (_schema(a={"type": "array", "title": "A"}), "lồng nhau"),
        (_schema(a={"type": ["string", "null"], "title": "A"}), "không được hỗ trợ"),
        (_schema(a={"type": "string"}), "thiếu tiêu đề"),
        (_schema(a={"type": "string", "title": "  "}), "thiếu tiêu đề"),
        (_schema(Ho_ten={"type": "string", "title": "A"}), "chữ thường không dấu"),
        (_schema(a={"type": "string", "title": "A", "pattern": "(["}), "biểu thức chính quy"),
        (_schema(a={"type": "string", "title": "A", "format": "uri"}), "định dạng «uri»"),
        (_schema(a={"type": "string", "title": "A", "maxLength": -1}), "số nguyên không âm"),
        (_schema(a={"type": "string", "title": "A", "minLength": 5, "maxLength": 2}), "minLength"),
        (_schema(a={"type": "string", "title": "A", "x-widget": "slider"}), "x-widget"),
        (_schema(a={"type": "integer", "title": "A", "minimum": "1"}), "phải là một số"),
        (_schema(a={"type": "integer", "title": "A", "minimum": 5, "maximum": 1}), "minimum"),
        (_schema(a={"type": "integer", "title": "A", "maxLength": 3}), "«maxLength»"),
        (_schema(a={"type": "string", "title": "A", "enum": [1, 2]}), "lựa chọn"),
        (_schema(a={"type": "string", "title": "A", "enum": []}), "lựa chọn"),
        (_schema(a={"type": "string", "title": "A", "oneOf": [{"const": "x"}]}), "lựa chọn"),
        (
            _schema(
                a={
                    "type": "string",
                    "title": "A",
                    "oneOf": [{"const": "x", "title": "X"}, {"const": "x", "title": "Y"}],
                }
            ),
            "lựa chọn",
        ),
        (_schema(a={"type": "string", "title": "A", "enum": ["x"], "pattern": "^x$"}), "pattern"),
        (_schema(a={"type": "boolean", "title": "A", "const": False}), "const"),
        ({**_schema(a={"type": "string", "title": "A"}), "required": ["b"]}, "«b»"),
        ({**_schema(a={"type": "string", "title": "A"}), "required": "a"}, "required"),
        ({**_schema(a={"type": "string", "title": "A"}), "x-order": ["a", "b"]}, "x-order"),
        ({**_schema(a={"type": "string", "title": "A"}), "additionalProperties": {}}, "true"),
        (_schema(a={"type": "string", "title": "A", "default": object()}), "không phải JSON"),
    ],
)
def test_it_refuses_an_unusable_schema_and_says_why_in_vietnamese(
    schema: Any, expected: str
) -> None:
    problems = schema_check(schema)

    assert problems
    assert any(expected in problem for problem in problems), problems


def test_it_reports_every_broken_field_once() -> None:
    schema = _schema(
        a={"type": "string"},
        b={"type": "object", "title": "B"},
        c={"type": "string", "title": "C", "pattern": "("},
    )

    problems = schema_check(schema)

    assert len(problems) == 3
    assert [("«a»" in p, "«b»" in p, "«c»" in p) for p in problems] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]


# ------------------------------------------------------------------ form_fields --------------


def test_it_reads_the_fields_in_the_order_of_the_properties() -> None:
    fields = form_fields(SCHEMA)

    assert [f.name for f in fields] == list(SCHEMA["properties"])
    kinds = {f.name: f.kind for f in fields}
    assert kinds == {
        "ho_ten": "text",
        "ngay_sinh": "date",
        "gioi_tinh": "radio",
        "dan_toc": "select",
        "so_ban": "integer",
        "von": "integer",
        "dien_tich": "number",
        "dien_thoai": "tel",
        "email": "email",
        "ghi_chu": "textarea",
        "ma_so": "text",
        "cam_ket": "checkbox",
        "nhan_ban_giay": "checkbox",
    }


def test_it_reads_what_the_inputs_need_from_each_property() -> None:
    fields = {f.name: f for f in form_fields(SCHEMA)}

    assert fields["ho_ten"].label == "Họ, chữ đệm, tên"
    assert (fields["ho_ten"].required, fields["ho_ten"].max_length) == (True, 20)
    assert fields["ghi_chu"].help == "Điều cần nói thêm."
    assert fields["ghi_chu"].max_length == TEXTAREA_MAX_LENGTH
    assert fields["email"].max_length == DEFAULT_MAX_LENGTH
    assert fields["gioi_tinh"].choices == (("nam", "Nam"), ("nu", "Nữ"))
    assert fields["dan_toc"].choices == (("Kinh", "Kinh"), ("Tày", "Tày"), ("Thái", "Thái"))
    assert (fields["so_ban"].minimum, fields["so_ban"].maximum) == (1.0, 5.0)
    assert fields["dien_thoai"].pattern == "^0[0-9]{9}$"
    # A checkbox is compulsory when it must be ticked, not because it is listed as required.
    assert (fields["cam_ket"].required, fields["nhan_ban_giay"].required) == (True, False)
    assert fields["dan_toc"].required is False


def test_it_follows_an_explicit_x_order() -> None:
    schema = {**SCHEMA, "x-order": list(reversed(SCHEMA["properties"]))}

    assert schema_check(schema) == []
    assert [f.name for f in form_fields(schema)][:2] == ["nhan_ban_giay", "cam_ket"]


# ------------------------------------------------------------------ form_clean ---------------


def test_it_reads_a_good_post_into_typed_data() -> None:
    data, errors = form_clean(
        SCHEMA,
        _post(
            dan_toc="Kinh",
            von="50.000.000",
            dien_tich="120,5",
            dien_thoai="0905 123 456",
            email="an@example.vn",
            ghi_chu="Dòng một\r\nDòng hai",
            ma_so="AB12",
            nhan_ban_giay="on",
        ),
    )

    assert errors == {}
    assert data == {
        "ho_ten": "Nguyễn Văn An",
        "ngay_sinh": "2024-03-05",
        "gioi_tinh": "nam",
        "dan_toc": "Kinh",
        "so_ban": 2,
        "von": 50000000,
        "dien_tich": 120.5,
        "dien_thoai": "0905123456",
        "email": "an@example.vn",
        "ghi_chu": "Dòng một\nDòng hai",
        "ma_so": "AB12",
        "cam_ket": True,
        "nhan_ban_giay": True,
    }


def test_it_leaves_empty_optional_fields_out_and_ignores_unknown_keys() -> None:
    data, errors = form_clean(
        SCHEMA,
        _post(dan_toc="", von="   ", email="", csrfmiddlewaretoken="x", hacker="1"),
    )

    assert errors == {}
    assert set(data) == {"ho_ten", "ngay_sinh", "gioi_tinh", "so_ban", "cam_ket", "nhan_ban_giay"}
    assert data["nhan_ban_giay"] is False


def test_it_says_which_required_fields_are_missing() -> None:
    data, errors = form_clean(SCHEMA, {"ho_ten": "   ", "cam_ket": "on"})

    assert errors == {
        "ho_ten": REQUIRED,
        "ngay_sinh": REQUIRED,
        "gioi_tinh": REQUIRED,
        "so_ban": REQUIRED,
    }
    assert data == {"cam_ket": True, "nhan_ban_giay": False}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("3", 3),
        ("+3", 3),
        (" 4 ", 4),
        ("5,0", 5),
        ("1.000.000", 1_000_000),
        ("1 000 000", 1_000_000),
        ("1\u00a0000\u00a0000", 1_000_000),
        ("1,000,000", 1_000_000),
        ("2.500", 2_500),
        ("2,500", 2_500),
        ("1.000.000,00", 1_000_000),
    ],
)
def test_it_reads_integers_as_vietnamese_type_them(typed: str, expected: int) -> None:
    data, errors = form_clean(_schema(n={"type": "integer", "title": "N"}), {"n": typed})

    assert errors == {}
    assert data == {"n": expected}
    assert type(data["n"]) is int


@pytest.mark.parametrize("typed", ["1,5", "abc", "1.00.000", "1..0", "--1", "1e3", "½", "٣", "."])
def test_it_refuses_what_is_not_an_integer(typed: str) -> None:
    data, errors = form_clean(_schema(n={"type": "integer", "title": "N"}), {"n": typed})

    assert (data, errors) == ({}, {"n": NOT_INTEGER})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1.000,5", 1000.5),
        ("1000.5", 1000.5),
        ("1,000.5", 1000.5),
        ("2,5", 2.5),
        ("0.5", 0.5),
        ("0,25", 0.25),
        ("1.000", 1000),
        ("12.500.000", 12_500_000),
        ("-3,75", -3.75),
        ("7", 7),
    ],
)
def test_it_reads_decimal_numbers_in_vietnamese_and_plain_notation(
    typed: str, expected: float
) -> None:
    data, errors = form_clean(_schema(x={"type": "number", "title": "X"}), {"x": typed})

    assert errors == {}
    assert data == {"x": expected}


@pytest.mark.parametrize("typed", ["1,2,3,4", "1.000,5,5", "1,000.000,5", "3 chục", "inf", "NaN"])
def test_it_refuses_what_is_not_a_number(typed: str) -> None:
    _data, errors = form_clean(_schema(x={"type": "number", "title": "X"}), {"x": typed})

    assert errors == {"x": "Phải là một số (ví dụ 1.000 hoặc 2,5)."}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("05/03/2024", "2024-03-05"),
        ("5/3/2024", "2024-03-05"),
        ("05-03-2024", "2024-03-05"),
        ("05.03.2024", "2024-03-05"),
        ("29/02/2024", "2024-02-29"),
        ("2024-03-05", "2024-03-05"),
        ("2024-3-5", "2024-03-05"),
    ],
)
def test_it_reads_dates_typed_day_first_or_iso_and_stores_them_iso(
    typed: str, expected: str
) -> None:
    data, errors = form_clean(SCHEMA, _post(ngay_sinh=typed))

    assert errors == {}
    assert data["ngay_sinh"] == expected


@pytest.mark.parametrize(
    "typed", ["31/02/2024", "29/02/2023", "2024-13-01", "03/05/24", "hôm qua", "2024/03/05"]
)
def test_it_refuses_impossible_or_unreadable_dates(typed: str) -> None:
    data, errors = form_clean(SCHEMA, _post(ngay_sinh=typed))

    assert errors == {"ngay_sinh": BAD_DATE}
    assert "ngay_sinh" not in data


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("ho_ten", "Nguyễn Thị Minh Khai Hương", "Không quá 20 ký tự."),
        ("so_ban", "6", "Giá trị phải từ 1 đến 5."),
        ("so_ban", "0", "Giá trị phải từ 1 đến 5."),
        ("von", "5.000", "Giá trị phải từ 1.000.000 trở lên."),
        ("dien_tich", "10.000,5", "Giá trị không được lớn hơn 10.000."),
        ("email", "an@", "Thư điện tử không hợp lệ."),
        ("email", "an tran@example.vn", "Thư điện tử không hợp lệ."),
        ("dien_thoai", "0905 123", "Số điện thoại không hợp lệ."),
        ("ma_so", "ab", "Ít nhất 3 ký tự."),
        ("ma_so", "ab-12", "Giá trị không đúng định dạng yêu cầu."),
        ("gioi_tinh", "khac", BAD_CHOICE),
        ("gioi_tinh", "Nam", BAD_CHOICE),
        ("dan_toc", "Kinh ", None),
        ("dan_toc", "Mường", BAD_CHOICE),
        ("cam_ket", "", "Bạn cần đánh dấu vào ô này."),
        ("cam_ket", "false", "Bạn cần đánh dấu vào ô này."),
    ],
)
def test_it_validates_each_field_with_a_vietnamese_message(
    field: str, typed: str, message: str | None
) -> None:
    data, errors = form_clean(SCHEMA, _post(**{field: typed}))

    assert errors == ({field: message} if message else {})
    assert (field in data) is (message is None)


def test_it_counts_the_default_length_limit_of_a_field_without_max_length() -> None:
    _data, errors = form_clean(SCHEMA, _post(ghi_chu="x" * (TEXTAREA_MAX_LENGTH + 1)))

    assert errors == {"ghi_chu": "Không quá 5.000 ký tự."}


def test_it_takes_the_last_of_repeated_values_like_a_query_dict() -> None:
    data, errors = form_clean(SCHEMA, _post(so_ban=["1", "3"], ho_ten=[]))

    assert errors == {"ho_ten": REQUIRED}
    assert data["so_ban"] == 3


def test_it_cleans_what_a_keyboard_would_not_send() -> None:
    # "ễ" typed as "e" with combining marks, a NUL byte and line breaks in a one-line box.
    data, errors = form_clean(SCHEMA, _post(ho_ten="Nguye\u0302\u0303n\x00 Văn\n  An"))

    assert errors == {}
    assert data["ho_ten"] == "Nguyễn Văn An"


def test_it_gives_every_message_in_vietnamese() -> None:
    bad = {
        "ho_ten": "x" * 30,
        "ngay_sinh": "31/02/2024",
        "gioi_tinh": "?",
        "dan_toc": "?",
        "so_ban": "1,5",
        "von": "1",
        "dien_tich": "abc",
        "dien_thoai": "12",
        "email": "@",
        "ma_so": "a",
    }

    with translation.override("vi"):
        _data, errors = form_clean(SCHEMA, bad)

    assert set(errors) == {*bad, "cam_ket"}
    for message in errors.values():
        assert not message.isascii(), message
        for english in ("is not", "valid", "required", "schema", "does not match"):
            assert english not in message, message


# ------------------------------------------------------------------ never raises -------------

NAMES = st.sampled_from([*SCHEMA["properties"], "khac", ""])
NUMBERISH = st.text(alphabet="0123456789.,+- /\u00a0e", max_size=24)
POSTED = st.one_of(st.text(max_size=60), NUMBERISH, st.lists(st.text(max_size=20), max_size=3))


@given(st.dictionaries(st.one_of(NAMES, st.text(max_size=8)), POSTED, max_size=16))
def test_it_never_raises_and_returns_only_valid_data(raw: dict[str, Any]) -> None:
    data, errors = form_clean(SCHEMA, raw)

    names = set(SCHEMA["properties"])
    assert set(errors) <= names
    assert set(data) <= names
    assert not set(data) & set(errors)
    assert all(isinstance(message, str) and message for message in errors.values())
    if not errors:
        assert list(Draft202012Validator(SCHEMA).iter_errors(data)) == []


@given(st.text(max_size=40), st.text(max_size=40))
def test_it_never_raises_on_any_number_or_date_text(number: str, day: str) -> None:
    schema = _schema(
        n={"type": "integer", "title": "N"},
        x={"type": "number", "title": "X"},
        d={"type": "string", "format": "date", "title": "D"},
    )

    data, _errors = form_clean(schema, {"n": number, "x": number, "d": day})

    assert isinstance(data.get("n", 0), int)
    assert isinstance(data.get("x", 0.0), int | float)


# ------------------------------------------------------------------ form_display -------------


def test_it_shows_the_answers_as_people_read_them() -> None:
    data, errors = form_clean(SCHEMA, _post(von="50000000", dien_tich="1000,5", nhan_ban_giay="on"))
    assert errors == {}

    shown = form_display(SCHEMA, data)

    assert shown == [
        ("Họ, chữ đệm, tên", "Nguyễn Văn An"),
        ("Ngày, tháng, năm sinh", "05/03/2024"),
        ("Giới tính", "Nam"),
        ("Dân tộc", "—"),
        ("Số bản", "2"),
        ("Vốn (đồng)", "50.000.000"),
        ("Diện tích (m²)", "1.000,5"),
        ("Điện thoại", "—"),
        ("Thư điện tử", "—"),
        ("Ghi chú", "—"),
        ("Mã số", "—"),
        ("Tôi cam kết", "Có"),
        ("Nhận bản giấy", "Có"),
    ]


def test_it_shows_a_missing_checkbox_as_no_and_keeps_unknown_choices_readable() -> None:
    data = {"gioi_tinh": "khac", "cam_ket": True}

    shown = dict(form_display(SCHEMA, data))

    assert shown["Nhận bản giấy"] == "Không"
    assert shown["Giới tính"] == "khac"


def test_it_does_not_change_the_schema_it_reads() -> None:
    before = copy.deepcopy(SCHEMA)

    form_clean(SCHEMA, _post())
    form_display(SCHEMA, {})
    schema_check(SCHEMA)

    assert before == SCHEMA
