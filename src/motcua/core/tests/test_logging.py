"""Logs carry a request id and no personal data, whatever the format; JSON on demand."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from motcua.core.logs import PersonalDataFilter, scrub
from motcua.core.tests.processes import production_environment, requests_in_process

ID_NUMBER = "046090012345"
PHONES = ("0905111222", "0905 111 222", "0905.111.222", "+84905111222", "84 905 111 222")
LANDLINE = "02343822123"
EMAIL = "an.nguyen@example.vn"
SECRET = "Q9J6AU9Z"


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the configured console handler (settings.LOGGING) writes, for this test only."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in h.filters)
    )
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


class TestScrub:
    @pytest.mark.parametrize("phone", [*PHONES, LANDLINE])
    def test_it_masks_phone_numbers_however_written(self, phone: str) -> None:
        assert scrub(f"SMS to {phone} failed") == "SMS to [phone] failed"

    def test_it_masks_id_numbers_emails_and_secrets(self) -> None:
        text = f"{ID_NUMBER} {EMAIL} lookup_secret={SECRET} code {SECRET.lower()}"
        assert scrub(text) == "[id-number] [email] lookup_secret=[secret] code q9j6au9z"
        assert scrub(f"Mã tra cứu: {SECRET}") == "Mã tra cứu: [secret]"
        assert scrub(f"receipt {SECRET} printed") == "receipt [secret] printed"

    def test_it_drops_query_strings(self) -> None:
        line = '"GET /tra-cuu/?ma=H57-260421-0042&secret=Q9J6AU9Z HTTP/1.1" 200'
        assert scrub(line) == '"GET /tra-cuu/?[query] HTTP/1.1" 200'
        url = "https://motcua.hue.gov.vn/dang-nhap/oidc/callback/?code=abc&state=def"
        assert scrub(url) == "https://motcua.hue.gov.vn/dang-nhap/oidc/callback/?[query]"

    @pytest.mark.parametrize(
        "kept",
        [
            "000.00.01.H57-260421-0042",
            "2026-04-21 10:00:00+07:00",
            "1.500.000 đồng",
            "Readiness check migrations failed: RuntimeError",
            "CHECKSUM mismatch in 3 rows",
            "request 9f1c2e0b7d7c4c55a8c80b7d7c3f6b11",
        ],
    )
    def test_it_keeps_what_is_not_personal(self, kept: str) -> None:
        assert scrub(kept) == kept


class TestRecords:
    def test_message_and_arguments_are_scrubbed(self, console: io.StringIO) -> None:
        logging.getLogger("motcua.notifications").warning(
            "SMS to %s for %s (%s) refused", PHONES[1], ID_NUMBER, EMAIL
        )
        line = console.getvalue()
        assert "SMS to [phone] for [id-number] ([email]) refused" in line
        for personal in (PHONES[1], ID_NUMBER, EMAIL):
            assert personal not in line

    def test_a_traceback_is_scrubbed(self, console: io.StringIO) -> None:
        try:
            raise ValueError(f"duplicate key (id_number)=({ID_NUMBER}), contact {EMAIL}")
        except ValueError:
            logging.getLogger("motcua.dossiers").exception("Intake failed")
        written = console.getvalue()
        assert "ValueError: duplicate key (id_number)=([id-number]), contact [email]" in written
        assert ID_NUMBER not in written and EMAIL not in written

    def test_runserver_access_lines_lose_their_query_string(self, console: io.StringIO) -> None:
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /tra-cuu/?ma=H57-260421-0042&secret={SECRET} HTTP/1.1", 200, 512
        )
        written = console.getvalue()
        assert '"GET /tra-cuu/?[query] HTTP/1.1" 200 512' in written
        assert SECRET not in written

    @pytest.mark.django_db
    def test_a_request_carrying_personal_data_leaves_none_in_the_log(
        self, client: Any, console: io.StringIO
    ) -> None:
        path = f"/tra-cuu/{ID_NUMBER}/{PHONES[0]}/?email={EMAIL}&secret={SECRET}"
        response = client.get(path, headers={"X-Request-ID": "probe-4f2a"})
        assert response.status_code == 404
        written = console.getvalue()
        assert "WARNING django.request [probe-4f2a] Not Found: /tra-cuu/[id-number]/[phone]/" in (
            written
        )
        for personal in (ID_NUMBER, PHONES[0], EMAIL, SECRET):
            assert personal not in written


class TestRequestId:
    def test_a_proxys_id_is_kept_and_returned(self, client: Any) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "nginx-7f3a9c01.2"})
        assert response["X-Request-ID"] == "nginx-7f3a9c01.2"

    @pytest.mark.parametrize("forged", ["x" * 65, "a b", "id\nERROR fake line", "-leading"])
    def test_anything_else_is_replaced_by_a_fresh_one(self, client: Any, forged: str) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": forged})
        assert response["X-Request-ID"] != forged
        assert len(response["X-Request-ID"]) == 32

    def test_without_one_each_request_gets_its_own(self, client: Any) -> None:
        first, second = client.get("/healthz"), client.get("/healthz")
        assert first["X-Request-ID"] != second["X-Request-ID"]


def test_json_logs_are_one_object_a_line_with_the_request_and_no_personal_data(
    tmp_path: Path,
) -> None:
    environment = production_environment(tmp_path) | {
        "MOTCUA_HTTPS": "false",
        "MOTCUA_LOG_LEVEL": "INFO",
        "MOTCUA_ALLOWED_HOSTS": "testserver",
    }
    path = f"/khong-co/{ID_NUMBER}/?phone={PHONES[0]}&email={EMAIL}"
    [answer], log = requests_in_process(environment, [("GET", path, {"X-Request-ID": "req-77"})])
    assert answer["status"] == 404
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    by_logger = {record["logger"]: record for record in records}
    access = by_logger["motcua.access"]
    assert access["message"] == "GET unmatched 404"
    assert access["request_id"] == "req-77"
    assert access["method"] == "GET" and access["status"] == 404
    assert isinstance(access["duration_ms"], float)
    assert {"time", "level", "logger", "message", "route"} <= access.keys()
    not_found = by_logger["django.request"]
    assert not_found["level"] == "WARNING"
    assert not_found["message"] == "Not Found: /khong-co/[id-number]/"
    for personal in (ID_NUMBER, PHONES[0], EMAIL):
        assert personal not in log
