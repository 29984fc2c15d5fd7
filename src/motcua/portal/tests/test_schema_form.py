"""The declaration form partial: every input labelled, errors tied to their inputs and announced."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.template.loader import render_to_string

from motcua.lib.jsonform import form_clean, form_fields

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ho_ten", "ngay_sinh", "gioi_tinh", "so_ban", "quan_he", "cam_ket"],
    "properties": {
        "ho_ten": {"type": "string", "title": "Họ, chữ đệm, tên", "maxLength": 100},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "gioi_tinh": {
            "type": "string",
            "title": "Giới tính",
            "x-widget": "radio",
            "oneOf": [{"const": "nam", "title": "Nam"}, {"const": "nu", "title": "Nữ"}],
        },
        "quan_he": {
            "type": "string",
            "title": "Quan hệ",
            "oneOf": [{"const": "cha", "title": "Cha"}, {"const": "me", "title": "Mẹ"}],
        },
        "so_ban": {"type": "integer", "title": "Số bản", "minimum": 1, "maximum": 5},
        "dien_tich": {"type": "number", "title": "Diện tích"},
        "dien_thoai": {
            "type": "string",
            "title": "Điện thoại",
            "description": "Ví dụ 0905 123 456.",
            "x-widget": "tel",
        },
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
        "ly_do": {"type": "string", "title": "Lý do", "x-widget": "textarea"},
        "cam_ket": {"type": "boolean", "title": "Tôi cam kết", "const": True},
    },
}


class _Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _render(values: dict[str, Any], errors: dict[str, str]) -> tuple[str, list[Any]]:
    html = render_to_string(
        "portal/_schema_form.html",
        {"fields": form_fields(SCHEMA), "values": values, "errors": errors},
    )
    parser = _Tags()
    parser.feed(html)
    return html, parser.tags


def _controls(tags: list[Any]) -> dict[str, dict[str, str | None]]:
    return {a["id"]: a for t, a in tags if t in ("input", "select", "textarea")}


def test_it_ties_a_label_to_every_input_with_the_right_type() -> None:
    _html, tags = _render({}, {})

    controls = _controls(tags)
    labelled = {a["for"] for t, a in tags if t == "label"}
    assert set(controls) <= labelled
    kinds = {i: (a.get("type"), a.get("inputmode")) for i, a in controls.items()}
    assert kinds["decl-ho_ten"] == ("text", None)
    assert kinds["decl-ngay_sinh"] == ("date", None)
    assert kinds["decl-gioi_tinh-1"] == ("radio", None)
    assert kinds["decl-so_ban"] == ("text", "numeric")
    assert kinds["decl-dien_tich"] == ("text", "decimal")
    assert kinds["decl-dien_thoai"] == ("tel", None)
    assert kinds["decl-email"] == ("email", None)
    assert kinds["decl-cam_ket"] == ("checkbox", None)
    assert {t for t, a in tags if a.get("id") in ("decl-quan_he", "decl-ly_do")} == {
        "select",
        "textarea",
    }
    assert controls["decl-ho_ten"]["maxlength"] == "100"


def test_it_marks_required_fields_and_links_the_help_text() -> None:
    html, tags = _render({}, {})

    controls = _controls(tags)
    assert controls["decl-ho_ten"]["aria-required"] == "true"
    assert "aria-required" not in controls["decl-email"]
    assert controls["decl-dien_thoai"]["aria-describedby"] == "decl-dien_thoai-help"
    assert 'id="decl-dien_thoai-help">Ví dụ 0905 123 456.<' in html
    group = next(a for t, a in tags if t == "fieldset")
    assert (group["role"], group["aria-required"]) == ("radiogroup", "true")
    assert "Các mục có dấu" in html
    assert 'role="alert"' not in html
    assert "aria-invalid" not in html


def test_it_announces_the_errors_and_ties_each_one_to_its_input() -> None:
    post = {"ho_ten": "", "ngay_sinh": "31/02/2026", "so_ban": "9", "dien_thoai": "0905"}
    _data, errors = form_clean(SCHEMA, post)
    errors["dien_thoai"] = "Số điện thoại không hợp lệ."

    html, tags = _render(post, errors)

    summary = re.search(r'<div class="errors decl-summary" role="alert".*?</div>', html, re.S)
    assert summary is not None
    assert '<a href="#decl-ngay_sinh">Ngày sinh: Ngày không hợp lệ' in summary.group()
    assert '<a href="#decl-gioi_tinh-1">Giới tính: Trường này là bắt buộc.</a>' in summary.group()
    controls = _controls(tags)
    assert controls["decl-so_ban"]["aria-invalid"] == "true"
    assert controls["decl-so_ban"]["aria-describedby"] == "decl-so_ban-error"
    assert controls["decl-dien_thoai"]["aria-describedby"] == (
        "decl-dien_thoai-help decl-dien_thoai-error"
    )
    assert 'id="decl-so_ban-error">Giá trị phải từ 1 đến 5.<' in html
    assert "aria-invalid" not in controls["decl-email"]
    group = next(a for t, a in tags if t == "fieldset")
    assert (group["aria-invalid"], group["aria-describedby"]) == ("true", "decl-gioi_tinh-error")


def test_it_keeps_what_was_typed_escaped_and_the_choices_made() -> None:
    values = {
        "ho_ten": 'Lê "Văn" <An>',
        "gioi_tinh": "nu",
        "quan_he": "me",
        "ly_do": "Dòng một\nDòng hai",
        "cam_ket": True,
    }

    html, tags = _render(values, {})

    controls = _controls(tags)
    assert controls["decl-ho_ten"]["value"] == 'Lê "Văn" <An>'
    assert "<An>" not in html
    assert "checked" in controls["decl-gioi_tinh-2"]
    assert "checked" not in controls["decl-gioi_tinh-1"]
    assert "checked" in controls["decl-cam_ket"]
    selected = [a["value"] for t, a in tags if t == "option" and "selected" in a]
    assert selected == ["me"]
    assert "Dòng một\nDòng hai</textarea>" in html
