"""Online dossiers (level 3 and 4 public services): the citizen's draft and submission, the desk's
decision on it (accept, ask for completion — form 02 —, refuse — form 03), and what the citizen
does afterwards from their account: complete, supplement, withdraw, collect the signed result.

A submitted dossier has its code at once (the applicant needs it), but its clock starts only
when a reception officer accepts it, exactly as at the counter: received_at is the acceptance.
"""

from motcua.dossiers.online.afterwards import (
    online_resubmit,
    online_result_available,
    online_result_collect,
    online_supplement,
    online_withdraw,
    withdrawable,
)
from motcua.dossiers.online.common import APPLICANT_ROLE
from motcua.dossiers.online.drafts import (
    DraftSubmitted,
    Submission,
    draft_attach,
    draft_delete,
    draft_detach,
    draft_get,
    draft_problems,
    draft_reuse,
    draft_save,
    draft_start,
    draft_submit,
    drafts_of,
    expected_due_at,
    result_channels_for,
)
from motcua.dossiers.online.reception import (
    online_accept,
    online_completion_request,
    online_refuse,
)

__all__ = [
    "APPLICANT_ROLE",
    "DraftSubmitted",
    "Submission",
    "draft_attach",
    "draft_delete",
    "draft_detach",
    "draft_get",
    "draft_problems",
    "draft_reuse",
    "draft_save",
    "draft_start",
    "draft_submit",
    "drafts_of",
    "expected_due_at",
    "online_accept",
    "online_completion_request",
    "online_refuse",
    "online_resubmit",
    "online_result_available",
    "online_result_collect",
    "online_supplement",
    "online_withdraw",
    "result_channels_for",
    "withdrawable",
]
