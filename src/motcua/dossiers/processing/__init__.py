"""Writes on a dossier after reception: the route through the agencies and back to the desk.

Every action is a service that locks the dossier row, re-checks the state and the actor's right
on the fresh row (so a double click or a retried request is refused, not applied twice), writes
its rows, an event, the public milestone and the applicant's message in one transaction.

The route is the procedure version's workflow (catalog.WorkflowStep): the steps of a stage run
in parallel and the next stage starts when all of them are done; consultations of other agencies
are added as steps with their own sub-deadline. Each hand-over is a `Handover` row (form 06).
"""

from motcua.dossiers.processing.core import (
    dossier_calendar,
    dossier_route_start,
    last_processing_stage,
    may_act_on,
    open_steps,
    reception_calendar,
    roles_in,
)
from motcua.dossiers.processing.outcomes import (
    Recipient,
    apology_issue,
    dossier_mark_uncollected,
    dossier_reject,
    dossier_resolve,
    dossier_return,
    withdrawal_confirm,
    withdrawal_decline,
    withdrawal_request,
)
from motcua.dossiers.processing.pauses import (
    PaymentLine,
    SupplementItem,
    payment_lines_proposed,
    payment_notice_issue,
    payment_record,
    supplement_decide,
    supplement_propose,
    supplement_receive,
)
from motcua.dossiers.processing.routing import (
    consultation_reply,
    consultation_request,
    deadlines_sweep,
    officers_for_assignment,
    step_assign,
    step_forward,
)

__all__ = [
    "PaymentLine",
    "Recipient",
    "SupplementItem",
    "apology_issue",
    "consultation_reply",
    "consultation_request",
    "deadlines_sweep",
    "dossier_calendar",
    "dossier_mark_uncollected",
    "dossier_reject",
    "dossier_resolve",
    "dossier_return",
    "dossier_route_start",
    "last_processing_stage",
    "may_act_on",
    "officers_for_assignment",
    "open_steps",
    "payment_lines_proposed",
    "payment_notice_issue",
    "payment_record",
    "reception_calendar",
    "roles_in",
    "step_assign",
    "step_forward",
    "supplement_decide",
    "supplement_propose",
    "supplement_receive",
    "withdrawal_confirm",
    "withdrawal_decline",
    "withdrawal_request",
]
