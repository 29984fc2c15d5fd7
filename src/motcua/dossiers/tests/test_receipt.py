from __future__ import annotations

from io import BytesIO

import pytest
from django.db.models import Count
from pypdf import PdfReader

from motcua.catalog.models import ProcedureVersion
from motcua.dossiers.printing import receipt_pdf
from motcua.dossiers.tests.helpers import receive

CITY_CENTER = "000.00.01.H57"


@pytest.mark.django_db
def test_it_prints_the_receipt_with_the_most_components_on_one_sheet(demo):
    # The receipt is handed over on one A4 sheet, even for the demo procedure with the most
    # components (and long names), signatures included.
    version = (
        ProcedureVersion.objects.annotate(n=Count("components"))
        .select_related("procedure", "receiving_unit")
        .order_by("-n", "-procedure__national_code")
        .first()
    )
    officer = (
        demo.reception_officer if version.receiving_unit.code == CITY_CENTER else demo.ward_officer
    )
    dossier = receive(officer, version.procedure.national_code)
    pdf = PdfReader(BytesIO(receipt_pdf(dossier=dossier)))
    text = "".join(pdf.pages[0].extract_text().split())
    assert len(pdf.pages) == 1
    assert "NGƯỜITIẾPNHẬNHỒSƠ" in text
    assert dossier.lookup_secret in text
