"""The wire protocol (VNPAY 2.1.0): signatures, times, amounts; and the receipt's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from motcua.payments import protocol
from motcua.payments.receipts import amount_in_words

SECRET = "test-hash-secret"
PARAMS = {
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "MOTCUA01",
    "vnp_Amount": "10000000",
    "vnp_CurrCode": "VND",
    "vnp_TxnRef": "2702011000AB12CD34",
    "vnp_OrderInfo": "Thanh toan le phi ho so 000.12.01.H57-270201-0001",
    "vnp_ReturnUrl": "https://motcua.hue.gov.vn/thanh-toan/ket-qua/",
    "vnp_CreateDate": "20270201100000",
}


def test_it_signs_the_sorted_urlencoded_parameters_with_hmac_sha512() -> None:
    signed = protocol.signed(PARAMS, SECRET)
    data = protocol.signing_data(signed)
    assert data.startswith("vnp_Amount=10000000&vnp_Command=pay&vnp_CreateDate=")
    # Spaces are "+", reserved characters are escaped, as VNPAY's own samples encode them.
    assert "vnp_OrderInfo=Thanh+toan+le+phi" in data
    assert "vnp_ReturnUrl=https%3A%2F%2Fmotcua.hue.gov.vn" in data
    assert "vnp_SecureHash" not in data
    assert len(signed["vnp_SecureHash"]) == 128
    assert protocol.verify(signed, SECRET)


def test_a_signature_in_capitals_is_the_same_signature() -> None:
    signed = protocol.signed(PARAMS, SECRET)
    signed["vnp_SecureHash"] = signed["vnp_SecureHash"].upper()
    assert protocol.verify(signed, SECRET)


@pytest.mark.parametrize(
    "tamper",
    [
        {"vnp_Amount": "100000"},
        {"vnp_TxnRef": "2702011000AB12CD35"},
        {"vnp_ExtraField": "1"},
        {"vnp_SecureHash": "0" * 128},
        {"vnp_SecureHash": ""},
    ],
)
def test_it_refuses_a_tampered_parameter(tamper: dict[str, str]) -> None:
    signed = protocol.signed(PARAMS, SECRET)
    assert not protocol.verify({**signed, **tamper}, SECRET)


def test_another_secret_is_another_signature() -> None:
    assert not protocol.verify(protocol.signed(PARAMS, "other-secret"), SECRET)


def test_the_hash_type_of_older_versions_is_not_signed() -> None:
    signed = protocol.signed(PARAMS, SECRET)
    assert protocol.verify({**signed, "vnp_SecureHashType": "HmacSHA512"}, SECRET)


def test_the_query_and_its_answer_are_signed_over_their_fields_joined_by_bars() -> None:
    request = protocol.query_request_signed(
        {"vnp_RequestId": "r1", "vnp_Command": "querydr", "vnp_TxnRef": "T1"}, SECRET
    )
    assert protocol.query_request_valid(request, SECRET)
    assert not protocol.query_request_valid({**request, "vnp_TxnRef": "T2"}, SECRET)
    answer = protocol.query_answer_signed({"vnp_ResponseCode": "00", "vnp_Amount": "100"}, SECRET)
    assert protocol.query_answer_valid(answer, SECRET)
    assert not protocol.query_answer_valid({**answer, "vnp_TransactionStatus": "00"}, SECRET)


def test_the_statement_is_signed_over_its_canonical_json() -> None:
    body = protocol.statement_signed({"tmn": "M", "date": "2027-02-01", "transactions": []}, SECRET)
    assert protocol.statement_valid(body, SECRET)
    assert not protocol.statement_valid({**body, "transactions": [{"x": 1}]}, SECRET)


def test_gateway_times_are_gmt_plus_7() -> None:
    moment = datetime(2027, 2, 1, 3, 4, 5, tzinfo=UTC)
    assert protocol.gateway_time(moment) == "20270201100405"
    assert protocol.parse_gateway_time("20270201100405") == moment
    assert protocol.parse_gateway_time("2027-02-01") is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [("10000000", 100_000), ("100", 1), ("150", None), ("", None), ("-100", None), ("1e5", None)],
)
def test_amounts_are_dong_times_100(text: str, amount: int | None) -> None:
    assert protocol.parse_amount(text) == amount


def test_a_result_succeeds_only_when_payment_and_transaction_both_say_00() -> None:
    assert protocol.result_of({"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}).succeeded
    assert not protocol.result_of(
        {"vnp_ResponseCode": "24", "vnp_TransactionStatus": "02"}
    ).succeeded
    not_found = protocol.query_result_of({"vnp_ResponseCode": "91"})
    assert not_found.unfinished and not not_found.succeeded


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (30_000, "Ba mươi nghìn đồng"),
        (100_000, "Một trăm nghìn đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (1_000_050, "Một triệu không trăm năm mươi đồng"),
        (2_500_000, "Hai triệu năm trăm nghìn đồng"),
        (2_024_000_000, "Hai tỷ không trăm hai mươi tư triệu đồng"),
    ],
)
def test_the_receipt_writes_the_amount_in_vietnamese_words(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words
