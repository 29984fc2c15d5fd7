"""What the three parts of online dossiers share."""

from __future__ import annotations

from motcua.dossiers.models import DossierState

# The role recorded in the event log for what a citizen does from their account.
APPLICANT_ROLE = "applicant"
NOT_YET_ACCEPTED = (DossierState.SUBMITTED_ONLINE, DossierState.COMPLETION_REQUESTED)
