"""GET /api/v1/procedures/ and /api/v1/procedures/{national_code}/: the public catalogue."""

from __future__ import annotations

from motcua.catalog.models import Procedure


def test_it_lists_the_demo_catalogue_to_anyone(personas):
    response = personas.anonymous.get("/api/v1/procedures/")

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == Procedure.objects.filter(is_active=True).count() == 15
    codes = [row["national_code"] for row in page["results"]]
    assert codes == sorted(codes)
    land = next(row for row in page["results"] if row["national_code"] == "1.013978")
    assert land["sector"] == "dat_dai"
    assert land["statutory_amount"] == 20
    assert land["statutory_unit"] == "working_days"
    assert land["statutory_time_label"] == "20 ngày làm việc"
    assert land["competent_unit"] == {
        "code": "000.20.30.H57",
        "name": "Chi nhánh Văn phòng Đăng ký đất đai thành phố Huế",
    }
    assert land["receiving_unit"]["code"] == "000.00.01.H57"
    assert land["version"] == 1


def test_it_searches_names_without_accents(personas):
    page = personas.anonymous.get("/api/v1/procedures/", {"search": "chung thuc ban sao"}).json()

    assert [row["national_code"] for row in page["results"]] == ["2.000815"]


def test_it_filters_by_sector(personas):
    page = personas.anonymous.get("/api/v1/procedures/", {"sector": "cu_tru"}).json()

    assert {row["national_code"] for row in page["results"]} == {"1.004222", "1.010041"}


def test_it_pages_with_limit_and_offset(personas):
    page = personas.anonymous.get("/api/v1/procedures/", {"limit": 4, "offset": 12}).json()

    assert page["count"] == 15
    assert len(page["results"]) == 3
    assert page["next"] is None
    assert "limit=4" in page["previous"]


def test_it_lists_in_a_fixed_number_of_queries(personas, django_assert_max_num_queries):
    client = personas.anonymous

    # Count, page of procedures, their versions in force: whatever the page size.
    with django_assert_max_num_queries(3):
        client.get("/api/v1/procedures/", {"limit": 2})
    with django_assert_max_num_queries(3):
        client.get("/api/v1/procedures/", {"limit": 50})


def test_it_shows_the_version_in_force_with_components_and_fees(personas):
    response = personas.anonymous.get("/api/v1/procedures/2.000815/")

    assert response.status_code == 200
    procedure = response.json()
    assert procedure["national_code"] == "2.000815"
    assert procedure["name"].startswith("Chứng thực bản sao từ bản chính")
    assert procedure["sector"] == "chung_thuc"
    assert procedure["on_the_spot"] is True
    assert procedure["statutory_unit"] == "same_day"
    assert procedure["statutory_time_label"] == "trong ngày"
    assert procedure["online_mode"] == "partial"
    assert procedure["result_type"] == "Bản sao được chứng thực từ bản chính"
    assert procedure["competent_unit"]["code"] == "000.12.03.H57"
    assert procedure["receiving_unit"]["code"] == "000.12.01.H57"
    assert [
        (c["name"], c["form"], c["quantity"], c["mandatory"]) for c in procedure["components"]
    ] == [
        ("Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao", "original", 1, True),
        ("Bản sao cần chứng thực", "copy", 1, False),
    ]
    assert all(isinstance(c["id"], int) for c in procedure["components"])
    [fee] = procedure["fee_items"]
    assert fee["kind"] == "fee"
    assert fee["amount"] == 2000
    assert fee["collected_by"] == "center"


def test_it_reports_an_unknown_procedure_as_not_found(personas):
    response = personas.anonymous.get("/api/v1/procedures/9.999999/")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_it_serves_the_catalogue_to_the_outsider_too(personas):
    assert personas.outsider.get("/api/v1/procedures/1.013978/").status_code == 200
