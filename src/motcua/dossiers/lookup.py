"""The public lookup: a dossier's progress for whoever holds its receipt (code + secret), with
nothing personal, and wrong secrets counted and throttled.

Read from the database's replica when one is configured (`core.replica`): the busiest public
page then costs the primary nothing, except to confirm a miss."""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from motcua.core import throttle
from motcua.core.errors import NotFound, Throttled
from motcua.core.replica import reading_from_replica
from motcua.dossiers.models import Dossier
from motcua.lib.codes import normalise_secret
from motcua.lib.text import fold

PUBLIC_LOOKUP_FIELDS = (
    "code",
    "lookup_secret",
    "state",
    "received_at",
    "due_at",
    "rescheduled_due_at",
    "result_channel",
    "milestones",
    "procedure_version__name",
    "competent_unit__name",
)


def _failure_limits(*, code: str, client: str) -> dict[str, int]:
    """Failure counters and their limits: per client address, and per dossier code.

    The per-code limit is much higher, so one person mistyping (or a prankster) cannot lock the
    receipt holder out, while guessing one code's secret from many addresses is still stopped.
    """
    return {
        f"lookup-fail:client:{client}": settings.MOTCUA_LOOKUP_MAX_FAILURES,
        f"lookup-fail:code:{fold(code)}": settings.MOTCUA_LOOKUP_MAX_FAILURES_PER_CODE,
    }


def dossier_lookup_check(*, code: str, secret: str, client: str) -> Dossier:
    """The dossier for a receipt holder; wrong secrets are counted and then throttled.

    A wrong code and a wrong secret fail the same way, so the page does not tell which codes exist.
    """
    limits = _failure_limits(code=code.strip(), client=client)
    window = settings.MOTCUA_LOOKUP_WINDOW_SECONDS
    if throttle.over_limit(limits, window=window):
        raise Throttled(
            _("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.")
            % {"minutes": window // 60},
            extra={"retry_after": window},
        )
    with reading_from_replica() as on_replica:
        dossier = _receipt_holders_dossier(code=code, secret=secret)
    # A dossier received a moment ago may not be replayed on the replica yet: the primary
    # decides before a failure is counted, so lag never tells a receipt holder "not found".
    if dossier is None and on_replica:
        dossier = _receipt_holders_dossier(code=code, secret=secret)
    if dossier is None:
        throttle.count(limits, window=window)
        raise NotFound(
            _(
                "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu đã nhập. "
                "Hãy kiểm tra lại giấy tiếp nhận."
            ),
            code="lookup_failed",
        )
    return dossier


def _receipt_holders_dossier(*, code: str, secret: str) -> Dossier | None:
    # The hot path of the public lookup: only what a receipt holder sees, no ordering.
    found = (
        Dossier.objects.filter(code=code.strip())
        .select_related("procedure_version", "competent_unit")
        .only(*PUBLIC_LOOKUP_FIELDS)
        .order_by()[:1]
    )
    dossier = found[0] if found else None
    if dossier is None or not constant_time_compare(
        dossier.lookup_secret, normalise_secret(secret)
    ):
        return None
    return dossier
