from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from motcua.notifications.fake_sms_gateway import FakeSmsGateway
from motcua.notifications.sms import (
    DeliveryError,
    FileSmsProvider,
    HttpSmsProvider,
    sms_provider,
)
from motcua.notifications.tests.conftest import free_port

TEXT = "Hồ sơ H01.01-261128-0004 đã có kết quả, mời ông/bà đến nhận."


def provider(gateway: FakeSmsGateway, *, api_key: str = "test-key") -> HttpSmsProvider:
    return HttpSmsProvider(url=gateway.url, api_key=api_key, brandname="MOTCUA-HUE")


def test_it_returns_the_gateway_id(sms_gateway: FakeSmsGateway) -> None:
    reference = provider(sms_gateway).send("+84 912 345 678", TEXT)

    assert sms_gateway.accepted == [
        {"id": reference, "to": "84912345678", "text": TEXT, "brandname": "MOTCUA-HUE"}
    ]


def test_a_wrong_key_is_a_permanent_failure(sms_gateway: FakeSmsGateway) -> None:
    with pytest.raises(DeliveryError, match="401") as raised:
        provider(sms_gateway, api_key="wrong").send("0912345678", TEXT)

    assert raised.value.retryable is False


def test_a_malformed_number_is_a_permanent_failure(sms_gateway: FakeSmsGateway) -> None:
    with pytest.raises(DeliveryError, match="invalid_phone") as raised:
        provider(sms_gateway).send("091234", TEXT)

    assert raised.value.retryable is False


def test_an_overloaded_gateway_is_worth_retrying(sms_gateway: FakeSmsGateway) -> None:
    sms_gateway.fail_next(1)

    with pytest.raises(DeliveryError, match="503") as raised:
        provider(sms_gateway).send("0912345678", TEXT)

    assert raised.value.retryable is True
    assert provider(sms_gateway).send("0912345678", TEXT)


def test_an_unreachable_gateway_is_worth_retrying() -> None:
    closed = HttpSmsProvider(
        url=f"http://127.0.0.1:{free_port()}/v1/sms", api_key="k", brandname="B", timeout=2
    )

    with pytest.raises(DeliveryError, match="unreachable") as raised:
        closed.send("0912345678", TEXT)

    assert raised.value.retryable is True


def test_the_gateway_lists_what_it_accepted(sms_gateway: FakeSmsGateway) -> None:
    provider(sms_gateway).send("0912345678", TEXT)

    with urllib.request.urlopen(sms_gateway.url) as response:
        listing = json.loads(response.read())

    assert [m["text"] for m in listing["messages"]] == [TEXT]


def test_the_gateway_answers_404_elsewhere(sms_gateway: FakeSmsGateway) -> None:
    request = urllib.request.Request(sms_gateway.url.replace("/v1/sms", "/v2/sms"), data=b"{}")

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)

    with raised.value as error:
        assert error.code == 404


def test_without_a_gateway_the_sms_is_written_to_a_file(tmp_path: Path, settings: Any) -> None:
    settings.MOTCUA_SMS_URL = ""
    settings.MOTCUA_SMS_DIR = tmp_path

    chosen = sms_provider()
    reference = chosen.send("0912345678", TEXT)

    assert isinstance(chosen, FileSmsProvider)
    assert (tmp_path / reference).read_text(encoding="utf-8") == f"To: 0912345678\n\n{TEXT}\n"


def test_with_a_gateway_url_the_http_provider_is_chosen(settings: Any) -> None:
    settings.MOTCUA_SMS_URL = "http://127.0.0.1:8025/v1/sms"

    assert isinstance(sms_provider(), HttpSmsProvider)
