"""A submission retried after it went through (its answer lost with a dying server, a browser
resending the form): the draft is gone, and the citizen is told which dossier it became
instead of "draft not found". Nobody else learns anything from a draft id."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core.errors import NotFound
from motcua.dossiers import online
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.test_online import citizen, filled_draft

pytestmark = pytest.mark.django_db


def test_a_submitted_draft_names_its_dossier_to_its_owner_only(demo: Any) -> None:
    owner, stranger = citizen(), citizen("nguoila", id_number="046090009999")
    draft = filled_draft(owner)
    draft_id = draft.pk
    dossier = online.draft_submit(draft=draft).dossier

    with pytest.raises(online.DraftSubmitted) as raised:
        online.draft_get(user=owner, draft_id=draft_id)
    assert raised.value.extra == {"dossier": dossier.code}
    assert raised.value.status == 409 and dossier.code in str(raised.value.message)
    with pytest.raises(NotFound) as refused:
        online.draft_get(user=stranger, draft_id=draft_id)
    assert not isinstance(refused.value, online.DraftSubmitted)


def test_the_retried_post_of_the_draft_page_answers_with_the_dossier(demo: Any) -> None:
    owner = citizen()
    draft = filled_draft(owner)
    url = reverse("portal:draft", args=[draft.pk])
    dossier = online.draft_submit(draft=draft).dossier
    browser = Client()
    browser.force_login(owner)

    again = browser.post(url, {"submit": "1"})

    # A redirect to the dossier when the page handles it, else the page naming it.
    mine = reverse("portal:my_dossier", args=[dossier.code])
    assert (again.status_code == 302 and again["Location"].startswith(mine)) or (
        again.status_code == 409 and dossier.code in again.content.decode()
    ), again.status_code
    assert Dossier.objects.count() == 1
