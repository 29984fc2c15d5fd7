"""A signed-in citizen reaches the officers' API with their session: it must show them nothing
and let them do nothing, not even to their own dossier."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from motcua.dossiers import online
from motcua.dossiers.models import DossierState
from motcua.dossiers.tests.test_online import citizen, filled_draft


@pytest.mark.django_db
def test_the_officers_api_shows_a_citizen_nothing(demo):
    owner = citizen()
    dossier = online.draft_submit(draft=filled_draft(owner)).dossier
    for user in (owner, citizen("hangxom", id_number="046090002222")):
        api = APIClient()
        api.force_login(user)
        listing = api.get(reverse("api:dossiers"))
        assert listing.status_code == 200 and listing.json()["results"] == []
        assert api.get(reverse("api:worklist")).json()["results"] == []
        for name in ("api:dossier_detail", "api:dossier_control_slip"):
            assert api.get(reverse(name, args=[dossier.code])).status_code == 404
        for action in ("online-acceptance", "online-refusal", "withdrawal-request"):
            answer = api.post(
                reverse(f"api:dossier_{action}", args=[dossier.code]),
                {"reason": "x", "legal_basis": "y"},
                format="json",
            )
            assert answer.status_code in (403, 404), (action, answer.status_code)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED_ONLINE
