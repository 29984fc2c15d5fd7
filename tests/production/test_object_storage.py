"""Documents in S3-compatible object storage: a scan received at the counter and a signed result
are stored in the bucket through the real services, come back to officers byte for byte through
the pages that check who asks, stay private in the bucket, and nothing lands under MEDIA_ROOT.

Needs the local S3 server (scripts/s3-server start) and MOTCUA_S3_* pointing at it, so that the
settings themselves choose the S3 backend.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3
import pytest
from django.conf import settings as conf
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.core.testing import sample_pdf
from motcua.documents.signing import signature_report
from motcua.dossiers.models import Dossier
from motcua.dossiers.processing import (
    PaymentLine,
    dossier_resolve,
    payment_notice_issue,
    payment_record,
    step_assign,
    step_forward,
)
from motcua.dossiers.tests.helpers import receive, version_of

S3_BACKEND = "storages.backends.s3.S3Storage"

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(
        conf.STORAGES["default"]["BACKEND"] != S3_BACKEND,
        reason="needs MOTCUA_S3_BUCKET and an S3 server (scripts/s3-server start)",
    ),
    pytest.mark.django_db,
]

LAND_FIRST_REGISTRATION = "1.013978"
LAND_TRANSFER = "1.013831"
# Grantees that would make an object readable without our access checks.
PUBLIC_GRANTEES = ("AllUsers", "AuthenticatedUsers")


@pytest.fixture
def bucket() -> Any:
    """The bucket, reached directly (not through Django), and its name."""
    options: Any = conf.STORAGES["default"]["OPTIONS"]
    client = boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
        region_name=options["region_name"],
    )
    return client, options["bucket_name"]


def _media_files() -> list[Path]:
    root = Path(conf.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _stored(bucket: Any, key: str) -> bytes:
    client, name = bucket
    return bytes(client.get_object(Bucket=name, Key=key)["Body"].read())


def _public_grants(bucket: Any, key: str) -> list[Any]:
    client, name = bucket
    grants = client.get_object_acl(Bucket=name, Key=key)["Grants"]
    return [g for g in grants if any(p in g["Grantee"].get("URI", "") for p in PUBLIC_GRANTEES)]


def _served(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _intake_form(version: Any, scan: bytes) -> dict[str, Any]:
    first = version.components.first()
    data: dict[str, Any] = {
        "applicant_kind": "person",
        "applicant_name": "Lê Văn Tám",
        "applicant_id_number": "046085000111",
        "applicant_address": "5 Nguyễn Huệ, Huế",
        "applicant_phone": "0905123456",
        "applicant_email": "",
        "result_channel": "desk",
        "note": "",
        "legal_basis": "",
        "refusal_reason": "",
        "other_items": "",
        "action": "accept",
        f"f_{first.pk}": SimpleUploadedFile("don-dang-ky.pdf", scan, "application/pdf"),
    }
    data.update({f"c_{c.pk}": "on" for c in version.components.all()})
    return data


def test_the_settings_choose_a_private_s3_bucket():
    assert default_storage.__class__.__module__ + "." + default_storage.__class__.__name__ == (
        S3_BACKEND
    )
    assert conf.STORAGES["default"]["OPTIONS"]["default_acl"] == "private"  # type: ignore[index]


def test_a_counter_scan_is_stored_in_the_bucket_and_served_back_to_officers_only(
    client, demo, bucket
):
    version = version_of(LAND_FIRST_REGISTRATION)
    # Unique bytes, so this run's upload is the one that makes the object (names are hashes).
    scan = sample_pdf(title=f"Đơn đăng ký {uuid4()}")
    media_before = _media_files()
    client.force_login(demo.reception_officer)

    response = client.post(
        reverse("backoffice:intake", args=[version.pk]), _intake_form(version, scan)
    )

    assert response.status_code == 302
    dossier = Dossier.objects.get()
    component = dossier.components.get(document__isnull=False)
    document = component.document
    client_, name = bucket
    head = client_.head_object(Bucket=name, Key=document.file.name)
    assert head["ContentLength"] == len(scan) == document.size
    assert _sha256(_stored(bucket, document.file.name)) == document.sha256 == _sha256(scan)
    assert _public_grants(bucket, document.file.name) == []

    url = reverse("backoffice:dossier_document", args=[dossier.code, component.pk])
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert _sha256(_served(served)) == document.sha256
    client.force_login(demo.outsider)
    assert client.get(url).status_code in {403, 404}
    assert _media_files() == media_before


def _at_the_last_step(demo: Any) -> Dossier:
    """A land transfer, examined, taxed, paid, drafted and signed: only publication is left."""
    dossier = receive(demo.reception_officer, LAND_TRANSFER)
    step = dossier.steps.get(finished_at__isnull=True)
    step_assign(
        actor=demo.land_head, code=dossier.code, step_id=step.pk, assignee=demo.land_specialist
    )
    step_forward(actor=demo.land_specialist, code=dossier.code)
    payment_notice_issue(
        actor=demo.tax_officer,
        code=dossier.code,
        lines=[PaymentLine(kind="charge", name="Lệ phí trước bạ", amount=500_000)],
    )
    payment_record(actor=demo.reception_officer, code=dossier.code, receipt_number="BL-9")
    step_forward(actor=demo.land_specialist, code=dossier.code)
    step_forward(actor=demo.land_director, code=dossier.code)
    return dossier


def test_a_signed_result_round_trips_through_the_bucket(client, demo, bucket):
    dossier = _at_the_last_step(demo)
    original = sample_pdf(title=f"Giấy chứng nhận {uuid4()}")
    media_before = _media_files()

    dossier_resolve(
        actor=demo.land_specialist,
        code=dossier.code,
        result_number="CS 123456",
        document=SimpleUploadedFile("ket-qua.pdf", original),
    )

    dossier.refresh_from_db()
    result = dossier.result_document
    in_bucket = _stored(bucket, result.file.name)
    assert result.is_signed and in_bucket.startswith(original)
    assert _sha256(in_bucket) == result.sha256 and len(in_bucket) == result.size
    assert _public_grants(bucket, result.file.name) == []
    client.force_login(demo.land_specialist)
    served = _served(client.get(reverse("backoffice:result_document", args=[dossier.code])))
    assert served == in_bucket
    report = signature_report(served)
    assert report.ok and report.signer_unit_code == "000.20.30.H57"
    assert _media_files() == media_before
