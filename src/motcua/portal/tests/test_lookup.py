from __future__ import annotations

import pytest
from django.urls import reverse

from motcua.dossiers.tests.helpers import CITIZEN, receive

LAND_FIRST_REGISTRATION = "1.013978"


@pytest.fixture
def dossier(demo):
    return receive(demo.reception_officer, LAND_FIRST_REGISTRATION)


@pytest.mark.django_db
class TestLookup:
    def test_it_fills_in_the_code_from_the_receipt_qr(self, client, dossier):
        page = client.get(reverse("portal:lookup") + f"?ma={dossier.code}").content.decode()
        assert f'value="{dossier.code}"' in page

    def test_it_shows_the_state_appointment_and_timeline_to_the_receipt_holder(
        self, client, dossier
    ):
        response = client.post(
            reverse("portal:lookup"),
            {"code": dossier.code, "secret": dossier.lookup_secret.lower()},
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert dossier.procedure_version.name in page
        assert "Đang giải quyết" in page
        assert "Hồ sơ đã được tiếp nhận" in page

    def test_it_shows_nothing_personal(self, client, dossier):
        page = client.post(
            reverse("portal:lookup"), {"code": dossier.code, "secret": dossier.lookup_secret}
        ).content.decode()
        for private in (
            CITIZEN.name,
            CITIZEN.id_number,
            CITIZEN.phone,
            CITIZEN.email,
            CITIZEN.address,
        ):
            assert private not in page

    def test_it_answers_a_wrong_secret_and_an_unknown_code_the_same_way(self, client, dossier):
        wrong_secret = client.post(
            reverse("portal:lookup"), {"code": dossier.code, "secret": "AAAAAAAA"}
        )
        unknown_code = client.post(
            reverse("portal:lookup"), {"code": "000.00.01.H57-990101-0001", "secret": "AAAAAAAA"}
        )
        assert wrong_secret.status_code == unknown_code.status_code == 404
        assert "Không tìm thấy hồ sơ" in wrong_secret.content.decode()

    def test_it_throttles_after_too_many_wrong_secrets_even_with_the_right_one(
        self, client, dossier, settings
    ):
        for _ in range(settings.MOTCUA_LOOKUP_MAX_FAILURES):
            client.post(reverse("portal:lookup"), {"code": dossier.code, "secret": "WRONG234"})
        response = client.post(
            reverse("portal:lookup"), {"code": dossier.code, "secret": dossier.lookup_secret}
        )
        assert response.status_code == 429
        assert "sai quá nhiều lần" in response.content.decode()

    def test_it_throttles_one_client_trying_many_codes(self, client, demo, settings):
        codes = [receive(demo.reception_officer, LAND_FIRST_REGISTRATION).code for _ in range(2)]
        for attempt in range(settings.MOTCUA_LOOKUP_MAX_FAILURES):
            client.post(
                reverse("portal:lookup"),
                {"code": f"000.00.01.H57-990101-{attempt:04d}", "secret": "X"},
            )
        response = client.post(reverse("portal:lookup"), {"code": codes[0], "secret": "X"})
        assert response.status_code == 429


@pytest.mark.django_db
class TestCatalogue:
    def test_it_finds_procedures_without_diacritics(self, client, demo):
        page = client.get(reverse("portal:procedures") + "?q=chung thuc ban sao").content.decode()
        assert "Chứng thực bản sao" in page or "chứng thực bản sao" in page

    def test_it_shows_the_public_record_of_a_procedure(self, client, demo):
        page = client.get(
            reverse("portal:procedure", args=[LAND_FIRST_REGISTRATION])
        ).content.decode()
        assert "Thành phần hồ sơ" in page
        assert "Thời hạn giải quyết" in page

    def test_it_says_clearly_when_a_procedure_does_not_exist(self, client, demo):
        response = client.get(reverse("portal:procedure", args=["9.999999"]))
        assert response.status_code == 404


@pytest.mark.django_db
def test_it_writes_fees_the_vietnamese_way(client, demo):
    page = client.get(reverse("portal:procedure", args=["1.001612"])).content.decode()
    assert "100.000 đ" in page


@pytest.mark.django_db
def test_it_looks_a_dossier_up_in_one_query(client, dossier, django_assert_num_queries):
    # The hot path of the public lookup: the dossier row carries what the page shows.
    with django_assert_num_queries(1):
        response = client.post(
            reverse("portal:lookup"), {"code": dossier.code, "secret": dossier.lookup_secret}
        )
    assert response.status_code == 200
    with django_assert_num_queries(1):
        response = client.post(
            "/api/v1/lookup/",
            {"code": dossier.code, "secret": dossier.lookup_secret},
            content_type="application/json",
        )
    assert response.status_code == 200
