"""DRF's validation messages, in Vietnamese, for every field the API reads.

DRF ships no Vietnamese catalogue worth the name (only a handful of its messages are translated),
so an invalid body or query was refused in English ("A valid integer is required."). The API's
messages are gettext msgids in Vietnamese like the rest of the project's text; English comes
from the project's catalogue. DRF formats them with `str.format`, so the placeholders are its
own (`{max_length}`, `{input}`…). Installed once, when the app is ready (`apps.ApiConfig`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import fields, serializers

AT_MOST = _("Giá trị phải nhỏ hơn hoặc bằng {max_value}.")
AT_LEAST = _("Giá trị phải lớn hơn hoặc bằng {min_value}.")
TOO_LONG = _("Giá trị quá dài.")
LIST_EXPECTED = _("Cần một danh sách, nhưng nhận được kiểu «{input_type}».")

MESSAGES: dict[type[fields.Field], dict[str, Any]] = {
    fields.Field: {
        "required": _("Trường này là bắt buộc."),
        "null": _("Trường này không được để trống (null)."),
    },
    fields.CharField: {
        "invalid": _("Giá trị phải là một chuỗi ký tự."),
        "blank": _("Trường này không được để trống."),
        "max_length": _("Không quá {max_length} ký tự."),
        "min_length": _("Cần ít nhất {min_length} ký tự."),
    },
    fields.IntegerField: {
        "invalid": _("Giá trị phải là một số nguyên."),
        "max_value": AT_MOST,
        "min_value": AT_LEAST,
        "max_string_length": TOO_LONG,
    },
    fields.FloatField: {
        "invalid": _("Giá trị phải là một số."),
        "max_value": AT_MOST,
        "min_value": AT_LEAST,
        "max_string_length": TOO_LONG,
        "overflow": TOO_LONG,
    },
    fields.DecimalField: {
        "invalid": _("Giá trị phải là một số."),
        "max_value": AT_MOST,
        "min_value": AT_LEAST,
        "max_digits": _("Không quá {max_digits} chữ số."),
        "max_decimal_places": _("Không quá {max_decimal_places} chữ số sau dấu thập phân."),
        "max_whole_digits": _("Không quá {max_whole_digits} chữ số trước dấu thập phân."),
        "max_string_length": TOO_LONG,
    },
    fields.BooleanField: {"invalid": _("Giá trị phải là true hoặc false.")},
    fields.ChoiceField: {"invalid_choice": _("«{input}» không phải là một lựa chọn hợp lệ.")},
    fields.DateTimeField: {
        "invalid": _("Thời điểm phải theo ISO 8601, ví dụ 2027-02-03T16:59:00+07:00."),
        "date": _("Cần một thời điểm (ngày và giờ), không chỉ một ngày."),
        "make_aware": _("Thời điểm không hợp lệ ở múi giờ «{timezone}»."),
        "overflow": _("Thời điểm nằm ngoài khoảng cho phép."),
    },
    fields.FileField: {
        "required": _("Chưa gửi tệp nào."),
        "invalid": _("Dữ liệu gửi lên không phải là tệp; hãy gửi multipart/form-data."),
        "no_name": _("Không xác định được tên tệp."),
        "empty": _("Tệp gửi lên rỗng."),
        "max_length": _("Tên tệp không quá {max_length} ký tự (đang có {length})."),
    },
    fields.ListField: {
        "not_a_list": LIST_EXPECTED,
        "empty": _("Danh sách không được để trống."),
        "min_length": _("Danh sách cần ít nhất {min_length} phần tử."),
        "max_length": _("Danh sách không quá {max_length} phần tử."),
    },
    serializers.ListSerializer: {
        "not_a_list": LIST_EXPECTED,
        "empty": _("Danh sách không được để trống."),
        "min_length": _("Danh sách cần ít nhất {min_length} phần tử."),
        "max_length": _("Danh sách không quá {max_length} phần tử."),
    },
    serializers.Serializer: {
        "invalid": _("Dữ liệu không hợp lệ: cần một đối tượng JSON, nhưng nhận được {datatype}."),
    },
}


def drf_messages_install() -> None:
    """Give DRF's fields these messages (only the API uses DRF). The text fields' NUL and
    surrogate validators are Django's and DRF's own: `serializers.StringField` words them."""
    for field_class, messages in MESSAGES.items():
        # Each class's own dict: a field collects them along its class's MRO when built.
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
