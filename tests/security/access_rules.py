"""Who may use each route of the URL configuration: the data of the access-control matrix.

One rule per route, keyed by its name (`namespace:name`), or by its path for an unnamed route.
A rule names the personas *allowed*; every other persona must be refused, except those listed in
*hidden*, who may open the route but must not find the named objects in what they get (a list
scoped to the viewer). URL arguments, bodies and queries name objects of `access_world`.

The Django admin is covered by one rule for its namespace, tried on a sample of its URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------------
# Personas (demo/data/organisation.yaml). The system client calls with the demo's API token;
# everyone else signed in has a session.

ANON = "anonymous"
CITIZEN = "citizen"  # congdan: owns the online dossiers; ID number verified
OTHER_CITIZEN = "other_citizen"  # khachhang: another citizen, ID number self-declared
DESK = "desk"  # tiepnhan: reception officer of Huế's center, where every dossier is received
SPECIALIST = "specialist"  # chuyenvien: handling officer of the land office's department
HEAD = "head"  # truongphong: head of that department
DIRECTOR = "director"  # lanhdao: the land office's director, who signs
LEADER = "leader"  # giamdoc: leader of Huế's center
CONTROLLER = "controller"  # kiemsoat: the province's procedure controller
TAX = "tax"  # canbothue: the tax office, which sees a land dossier once it is sent there
OUTSIDER = "outsider"  # phuxuan: reception officer of another ward's center
OTHER_LEADER = "other_leader"  # giamdocphuong: leader of another (ward) center
SYSTEM = "system"  # he-thong-mot-cua: the integrated system, a reception officer by token
STAFF = "staff"  # quantri: superuser, administrator of the province

USERNAMES: dict[str, str | None] = {
    ANON: None,
    CITIZEN: "congdan",
    OTHER_CITIZEN: "khachhang",
    DESK: "tiepnhan",
    SPECIALIST: "chuyenvien",
    HEAD: "truongphong",
    DIRECTOR: "lanhdao",
    LEADER: "giamdoc",
    CONTROLLER: "kiemsoat",
    TAX: "canbothue",
    OUTSIDER: "phuxuan",
    OTHER_LEADER: "giamdocphuong",
    SYSTEM: "he-thong-mot-cua",
    STAFF: "quantri",
}
PERSONAS = tuple(USERNAMES)

Group = frozenset[str]
EVERYONE: Group = frozenset(PERSONAS)
CITIZENS: Group = frozenset({CITIZEN, OTHER_CITIZEN})
OFFICERS: Group = frozenset(
    {DESK, SPECIALIST, HEAD, DIRECTOR, LEADER, CONTROLLER, TAX, OUTSIDER, OTHER_LEADER, STAFF}
)
# Who sees a dossier, by who received it and who decides it (dossiers.selectors).
HUE_CENTER: Group = frozenset({DESK, LEADER, CONTROLLER, STAFF})  # received at Huế's center
LAND_OFFICE: Group = frozenset({SPECIALIST, HEAD, DIRECTOR})
SEES_LAND: Group = HUE_CENTER | LAND_OFFICE
SEES_LAND_TAXED: Group = SEES_LAND | {TAX}  # sent to the tax office on its way
SEES_POLICE: Group = HUE_CENTER  # no police officer is a persona
# Report readers (reports.scope.REPORT_ROLES): center leaders, controllers, agency directors.
REPORT_READERS: Group = frozenset({LEADER, CONTROLLER, DIRECTOR, OTHER_LEADER})
# The 766 index (reports.index766): those, and the administrator.
INDEX_READERS: Group = REPORT_READERS | {STAFF}
LEADERSHIP: Group = frozenset({LEADER, DIRECTOR, OTHER_LEADER})  # ratings
URGERS: Group = frozenset({LEADER, CONTROLLER})  # of Huế's center's dossiers

World = Mapping[str, Any]
Body = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    """Who may use one route, and with what."""

    allowed: Group
    # World values filling the route's arguments, in order.
    args: tuple[str, ...] = ()
    # The route acts on POST: a plausible body. The allowed persona's POST (rolled back) must
    # succeed, so a refusal of the others is not the body's fault.
    post: Body | None = None
    # Who may POST, when not the same as who may GET.
    post_allowed: Group | None = None
    # False: POST only (GET is 405 for everyone and is not tried).
    get: bool = True
    # The query string of the GET, from the world.
    query: Callable[[World], str] | None = None
    # Personas who may open it but must not find these world values in the answer.
    hidden: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The allowed persona tried (default: the first allowed one in PERSONAS order).
    probe: str | None = None
    # False: the allowed POST is not tried (it would reach a server outside the test).
    probe_post: bool = True
    # What the allowed persona's GET may answer besides 2xx/3xx, and why (see the rule).
    probe_status: frozenset[int] = frozenset()
    # Request headers of the POSTs.
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def posters(self) -> Group:
        return self.allowed if self.post_allowed is None else self.post_allowed


def public(**kwargs: Any) -> Rule:
    return Rule(allowed=EVERYONE, **kwargs)


def only(*personas: str | Group, **kwargs: Any) -> Rule:
    allowed: set[str] = set()
    for persona in personas:
        allowed |= {persona} if isinstance(persona, str) else set(persona)
    return Rule(allowed=frozenset(allowed), **kwargs)


# ---------------------------------------------------------------------------------------------
# Bodies of the actions


def _text(reason: str = "Lý do nêu rõ.") -> Body:
    return lambda w: {"reason": reason}


def _reject_body(w: World) -> dict[str, Any]:
    return {"reason": "Thửa đất đang có tranh chấp.", "legal_basis": "Điều 45 Luật Đất đai."}


def _items_body(w: World) -> dict[str, Any]:
    return {"item_name_0": "Bản đồ địa chính", "item_reason_0": "Bản đã nộp không rõ."}


def _intake_body(w: World) -> dict[str, Any]:
    return {
        "applicant_kind": "person",
        "applicant_name": "Trần Văn Cường",
        "applicant_id_number": "046090055555",
        "applicant_phone": "0905999888",
        "result_channel": "desk",
        "action": "accept",
        **{f"c_{pk}": "on" for pk in w["land_components"]},
    }


def _api_intake(w: World) -> dict[str, Any]:
    return {
        "procedure": w["land_transfer"],
        "applicant": {
            "kind": "person",
            "name": "Trần Văn Cường",
            "id_number": "046090055555",
            "phone": "0905999888",
        },
        "components": [{"id": pk} for pk in w["land_mandatory_components"]],
        "result_channel": "desk",
    }


def _lookup(code: str) -> Body:
    return lambda w: {"code": w[code], "secret": w[f"{code}_lookup_secret"]}


def _rating(w: World) -> dict[str, Any]:
    return {"overall": "satisfied", "comment": "Cảm ơn."}


def _upload(w: World) -> dict[str, Any]:
    # An input named "file_" without a component's id: "other documents".
    return {"file_": w["upload"](), "note": "Đã bổ sung."}


BACKOFFICE_ACTIONS: dict[str, Rule] = {
    "backoffice:dossier_online_accept": only(DESK, args=("submitted",), post=lambda w: {}),
    "backoffice:dossier_online_completion": only(DESK, args=("submitted",), post=_items_body),
    "backoffice:dossier_online_refuse": only(DESK, args=("submitted",), post=_reject_body),
    "backoffice:dossier_assign": only(
        HEAD,
        DIRECTOR,
        args=("land",),
        post=lambda w: {"step": w["land_step"], "assignee": w["specialist_pk"]},
    ),
    "backoffice:dossier_forward": only(
        SPECIALIST, args=("land",), post=lambda w: {"note": "Hồ sơ hợp lệ."}
    ),
    "backoffice:dossier_consult": only(
        SPECIALIST,
        args=("land",),
        post=lambda w: {"unit": w["tax_agency_pk"], "question": "Giá đất?", "budget": "1"},
    ),
    "backoffice:dossier_consultation_reply": only(
        TAX, args=("consulting",), post=lambda w: {"note": "Đồng ý."}
    ),
    "backoffice:dossier_supplement_propose": only(SPECIALIST, args=("land",), post=_items_body),
    "backoffice:dossier_supplement_decide": only(
        HEAD, args=("proposed",), post=lambda w: {"decision": "approve"}
    ),
    "backoffice:dossier_supplement_receive": only(
        DESK, args=("supplementing",), post=lambda w: {"note": "Đã nhận."}
    ),
    "backoffice:dossier_payment_notice": only(
        TAX,
        args=("financial",),
        post=lambda w: {"line_kind_0": "charge", "line_name_0": "Lệ phí", "line_amount_0": "1000"},
    ),
    "backoffice:dossier_payment_record": only(
        DESK, args=("awaiting",), post=lambda w: {"receipt_number": "BL-0002"}
    ),
    "backoffice:dossier_apology": only(
        DIRECTOR,
        args=("land",),
        post=lambda w: {"reason": "Cần xác minh thêm.", "new_due_at": w["land_new_due_local"]},
    ),
    "backoffice:dossier_reject": only(HEAD, DIRECTOR, args=("land",), post=_reject_body),
    "backoffice:dossier_withdrawal_request": only(DESK, args=("land",), post=_text()),
    "backoffice:dossier_withdrawal_confirm": only(
        LAND_OFFICE, args=("withdrawing",), post=lambda w: {}
    ),
    "backoffice:dossier_withdrawal_decline": only(LAND_OFFICE, args=("withdrawing",), post=_text()),
    "backoffice:dossier_resolve": only(
        SPECIALIST,
        args=("last",),
        post=lambda w: {"result_number": "CS 000123", "document": w["upload"]("ket-qua.pdf")},
    ),
    "backoffice:dossier_return": only(
        DESK,
        args=("resolved",),
        post=lambda w: {
            "channel": "desk",
            "recipient_name": "Nguyễn Văn An",
            "recipient_id_number": "046090012345",
        },
    ),
    "backoffice:dossier_mark_uncollected": only(DESK, args=("resolved",), post=lambda w: {}),
}

BACKOFFICE: dict[str, Rule] = {
    "backoffice:login": public(),
    # The code of the second factor, between the password and the session: without a sign-in
    # under way it sends back to the sign-in page.
    "backoffice:login_second_factor": public(probe_status=frozenset({302})),
    # Each officer's own security page and authenticator app; a code that does not match
    # enrols nothing (so the allowed POST is not tried).
    "backoffice:security": only(OFFICERS),
    "backoffice:second_factor_enrol": only(
        OFFICERS, post=lambda w: {"code": "123456"}, probe_post=False
    ),
    "backoffice:logout": public(get=False, post=lambda w: {}),
    "backoffice:home": only(
        SEES_LAND, hidden={TAX: ("land",), OUTSIDER: ("land",), OTHER_LEADER: ("land",)}
    ),
    # The unit's tab: the land office's open steps, which no one else's worklist may show.
    "backoffice:worklist": only(
        OFFICERS - {TAX, OUTSIDER, OTHER_LEADER},
        query=lambda w: "tab=unit",
        probe=SPECIALIST,
        hidden={TAX: ("land",), OUTSIDER: ("land",), OTHER_LEADER: ("land",)},
    ),
    "backoffice:dossiers": only(
        SEES_LAND,
        hidden={TAX: ("land",), OUTSIDER: ("land", "submitted"), OTHER_LEADER: ("land",)},
    ),
    "backoffice:logbook": only(OFFICERS, hidden={OUTSIDER: ("land",), TAX: ("land",)}),
    "backoffice:logbook_pdf": only(OFFICERS),
    "backoffice:logbook_xlsx": only(OFFICERS),
    "backoffice:intake_select": only(DESK, OUTSIDER),
    "backoffice:intake": only(DESK, args=("land_version",), post=_intake_body),
    "backoffice:dossier": only(SEES_LAND, args=("land",)),
    "backoffice:receipt": only(SEES_LAND, args=("land",)),
    "backoffice:control_slip": only(SEES_LAND, args=("land",)),
    "backoffice:dossier_document": only(SEES_POLICE, args=("submitted", "submitted_component")),
    "backoffice:payment_notice_print": only(SEES_LAND_TAXED, args=("awaiting",)),
    "backoffice:dossier_notice_print": only(SEES_LAND, args=("supplementing", "supplement_notice")),
    "backoffice:result_document": only(SEES_POLICE, args=("resolved",)),
    "backoffice:notices": only(
        HUE_CENTER,
        hidden={p: ("guidance_notice",) for p in OFFICERS - HUE_CENTER},
    ),
    "backoffice:notice": only(HUE_CENTER, args=("guidance_notice",)),
    "backoffice:notice_print": only(HUE_CENTER, args=("guidance_notice",)),
    # Payments of the dossiers the officer sees; refunds by the desk or the center's leader.
    "backoffice:payments": only(
        SEES_POLICE, hidden={p: ("paid_txn",) for p in OFFICERS - SEES_POLICE}
    ),
    "backoffice:payment": only(SEES_POLICE, args=("paid_txn",)),
    "backoffice:payment_refund": only(
        DESK,
        LEADER,
        args=("paid_txn",),
        get=False,
        post=lambda w: {"amount": "1000", "reason": "Nộp thừa."},
    ),
    "backoffice:payment_receipt": only(SEES_POLICE, args=("paid_txn",)),
    # The reconciliation with the gateway is a center leader's; running it calls the gateway.
    "backoffice:payment_reconciliation": only(
        LEADER, OTHER_LEADER, post=lambda w: {"day": "2026-01-05"}, probe_post=False
    ),
    # Ratings: the leadership, each within its center or agency; follow-ups: the center's.
    "backoffice:rating_summary": only(LEADERSHIP),
    "backoffice:followups": only(
        LEADERSHIP - {DIRECTOR, OTHER_LEADER},
        hidden={DIRECTOR: ("returned",), OTHER_LEADER: ("returned",)},
    ),
    "backoffice:followup": only(LEADER, args=("followup",)),
    "backoffice:followup_take": only(
        LEADER, args=("followup",), get=False, post=lambda w: {"notes": "Đã gọi lại."}
    ),
    "backoffice:followup_close": only(
        LEADER, args=("followup",), get=False, post=lambda w: {"resolution": "Đã xin lỗi."}
    ),
    "backoffice:stats_dashboard": only(REPORT_READERS),
    "backoffice:stats_dossiers": only(
        REPORT_READERS, query=lambda w: "measure=received&p=year:2026:1"
    ),
    "backoffice:operational_report": only(REPORT_READERS),
    "backoffice:operational_report_xlsx": only(REPORT_READERS),
    "backoffice:operational_report_pdf": only(REPORT_READERS),
    "backoffice:index766": only(INDEX_READERS),
    "backoffice:index766_xlsx": only(INDEX_READERS),
    "backoffice:online_targets": only(INDEX_READERS),
    # Alerts are each officer's own; urging is for the center's leader and the controller.
    "backoffice:alerts": only(OFFICERS),
    "backoffice:alerts_read": only(OFFICERS, get=False, post=lambda w: {"all": "1"}),
    "backoffice:urges": only(
        OFFICERS,
        post=lambda w: {"dossier": [w["land"]], "message": "Đề nghị khẩn trương."},
        post_allowed=URGERS,
    ),
    "backoffice:dossier_urge": only(
        URGERS,
        args=("land",),
        post=lambda w: {"unit": w["land_agency_pk"], "message": "Đề nghị khẩn trương."},
    ),
    "backoffice:evaluation_summary": only(REPORT_READERS),
    "backoffice:evaluation_summary_xlsx": only(REPORT_READERS),
    "backoffice:evaluation_dossiers": only(REPORT_READERS),
    "backoffice:evaluation_dossier": only(
        URGERS,
        args=("returned",),
        post=lambda w: {"indicator": w["manual_indicator"], "points": "1"},
    ),
    "backoffice:evaluation_entry_clear": only(
        URGERS,
        args=("returned",),
        get=False,
        post=lambda w: {"indicator": w["manual_indicator"]},
    ),
    **BACKOFFICE_ACTIONS,
}

PORTAL: dict[str, Rule] = {
    "portal:home": public(),
    # The receipt's code and secret open the progress, for whoever holds the receipt.
    "portal:lookup": public(post=_lookup("land")),
    "portal:procedures": public(),
    "portal:procedure": public(args=("land_transfer",)),
    "portal:signup": public(),
    "portal:signup_confirm": public(),
    "portal:signup_resend": public(get=False, post=lambda w: {}),
    "portal:login": public(),
    "portal:login_code": public(),
    "portal:login_code_confirm": public(),
    "portal:login_code_resend": public(get=False, post=lambda w: {}),
    # Without an identity provider configured the start is "not found"; without the provider's
    # answer the callback is refused (400). Either way it is open to anyone.
    "portal:oidc_login": public(probe_status=frozenset({404})),
    "portal:oidc_callback": public(probe_status=frozenset({400})),
    "portal:logout": public(get=False, post=lambda w: {}),
    # A citizen's own account: a new contact, confirmed by a code sent to it.
    "portal:profile": only(CITIZENS, post=lambda w: {"contact": "0905000111"}),
    "portal:contact_confirm": only(CITIZENS, post=lambda w: {"code": "123456"}),
    "portal:contact_resend": only(CITIZENS, get=False, post=lambda w: {}),
    "portal:draft_start": only(CITIZENS, args=("land_transfer",), get=False, post=lambda w: {}),
    "portal:draft": only(CITIZEN, args=("draft",), post=lambda w: {"applicant_name": "Nguyễn An"}),
    "portal:draft_delete": only(CITIZEN, args=("draft",), get=False, post=lambda w: {}),
    "portal:my_dossiers": only(
        CITIZEN, hidden={OTHER_CITIZEN: ("submitted", "completion", "returned")}
    ),
    "portal:my_dossier": only(CITIZEN, args=("submitted",)),
    "portal:my_dossier_resubmit": only(CITIZEN, args=("completion",), get=False, post=_upload),
    "portal:my_dossier_supplement": only(CITIZEN, args=("supplementing",), get=False, post=_upload),
    "portal:my_dossier_withdraw": only(
        CITIZEN, args=("submitted",), get=False, post=lambda w: {"reason": "Không cần nữa."}
    ),
    "portal:my_dossier_result": only(CITIZEN, args=("returned",)),
    "portal:document_store": only(CITIZENS),
    "portal:document_download": only(CITIZEN, args=("citizen_document",)),
    # Paying goes on to the gateway, a server outside the test.
    "portal:payment": only(
        CITIZEN,
        args=("awaiting",),
        post=lambda w: {"purpose": "obligation", "idempotency_key": "khoa-thu-1"},
    ),
    "portal:payment_receipt": only(CITIZEN, args=("returned", "paid_txn")),
    "portal:payment_return": only(CITIZEN, query=lambda w: w["paid_return_query"]),
    # The gateway's notification: anyone may send one; only the signature makes it count.
    "portal:payment_ipn": public(query=lambda w: w["paid_return_query"]),
    "portal:rating_by_receipt": public(post=_lookup("land")),
    "portal:rating_thanks": public(),
    "portal:rating_own": only(CITIZEN, args=("returned",), post=_rating),
    "portal:transparency_board": public(),
}


def _api_action(allowed: Group, code: str, body: Body | None = None) -> Rule:
    return Rule(allowed=allowed, args=(code,), get=False, post=body or (lambda w: {}), probe=None)


API_ACTIONS: dict[str, Rule] = {
    "api:dossier_online-acceptance": _api_action(frozenset({DESK, SYSTEM}), "submitted"),
    "api:dossier_online-completion-request": _api_action(
        frozenset({DESK, SYSTEM}),
        "submitted",
        lambda w: {"items": [{"name": "Tờ khai", "reason": "Thiếu chữ ký."}]},
    ),
    "api:dossier_online-refusal": _api_action(frozenset({DESK, SYSTEM}), "submitted", _reject_body),
    "api:dossier_assign": _api_action(
        frozenset({HEAD, DIRECTOR}),
        "land",
        lambda w: {"step": w["land_step"], "assignee": "chuyenvien"},
    ),
    "api:dossier_forward": _api_action(frozenset({SPECIALIST}), "land"),
    "api:dossier_consultations": _api_action(
        frozenset({SPECIALIST}),
        "land",
        lambda w: {"unit": "000.00.60.H57", "question": "Giá đất?", "budget": "1"},
    ),
    "api:dossier_consultation-reply": _api_action(
        frozenset({TAX}), "consulting", lambda w: {"opinion": "Đồng ý."}
    ),
    "api:dossier_supplement-requests": _api_action(
        frozenset({SPECIALIST}),
        "land",
        lambda w: {"items": [{"name": "Bản đồ", "reason": "Không rõ."}]},
    ),
    "api:dossier_supplement-requests/decision": _api_action(
        frozenset({HEAD}), "proposed", lambda w: {"approve": True}
    ),
    "api:dossier_supplement-received": _api_action(frozenset({DESK, SYSTEM}), "supplementing"),
    "api:dossier_payment-notice": _api_action(
        frozenset({TAX}),
        "financial",
        lambda w: {"lines": [{"kind": "charge", "name": "Lệ phí", "amount": 1000}]},
    ),
    "api:dossier_payment": _api_action(
        frozenset({DESK, SYSTEM}), "awaiting", lambda w: {"receipt_number": "BL-0003"}
    ),
    "api:dossier_apology": _api_action(
        frozenset({DIRECTOR}),
        "land",
        lambda w: {"reason": "Cần xác minh thêm.", "new_due_at": w["land_new_due_iso"]},
    ),
    "api:dossier_rejection": _api_action(frozenset({HEAD, DIRECTOR}), "land", _reject_body),
    "api:dossier_withdrawal-request": _api_action(frozenset({DESK, SYSTEM}), "land", _text()),
    "api:dossier_withdrawal-confirmation": _api_action(LAND_OFFICE, "withdrawing"),
    "api:dossier_withdrawal-decline": _api_action(LAND_OFFICE, "withdrawing", _text()),
    "api:dossier_result": _api_action(
        frozenset({SPECIALIST}),
        "last",
        lambda w: {"result_number": "CS 000124", "document": w["upload"]("ket-qua.pdf")},
    ),
    "api:dossier_return": _api_action(
        frozenset({DESK, SYSTEM}),
        "resolved",
        lambda w: {
            "channel": "desk",
            "recipient_name": "Nguyễn Văn An",
            "recipient_id_number": "046090012345",
        },
    ),
    "api:dossier_uncollected": _api_action(frozenset({DESK, SYSTEM}), "resolved"),
}

# What the API's list answers must not show to someone who sees none of those dossiers.
_NOT_THEIRS = ("land", "submitted", "awaiting")

API: dict[str, Rule] = {
    "api:procedure_list": public(),
    "api:procedure_detail": public(args=("land_transfer",)),
    "api:lookup": public(get=False, post=_lookup("land")),
    "api:due_date": public(
        query=lambda w: "start=2026-04-21T10:00:00%2B07:00&amount=8&unit=working_days"
    ),
    "api:schema": public(),
    "api:dossiers": only(
        SEES_LAND | {SYSTEM},
        hidden={p: _NOT_THEIRS for p in {CITIZEN, OTHER_CITIZEN, OUTSIDER, OTHER_LEADER}}
        | {TAX: ("land",)},
        post=_api_intake,
        post_allowed=frozenset({DESK, SYSTEM}),
        headers={"Idempotency-Key": "kiem-tra-quyen-1"},
    ),
    "api:dossier_detail": only(SEES_LAND | {SYSTEM}, args=("land",)),
    "api:dossier_control_slip": only(SEES_LAND | {SYSTEM}, args=("land",)),
    "api:dossier_payment_lines_proposed": only(SEES_LAND_TAXED | {SYSTEM}, args=("financial",)),
    "api:worklist": only(
        OFFICERS - {TAX, OUTSIDER, OTHER_LEADER} | {SYSTEM},
        query=lambda w: "tab=unit",
        probe=SPECIALIST,
        hidden={p: ("land",) for p in {CITIZEN, OTHER_CITIZEN, TAX, OUTSIDER, OTHER_LEADER}},
    ),
    "api:report_operational": only(REPORT_READERS),
    "api:report_dossiers": only(REPORT_READERS, query=lambda w: "measure=received"),
    "api:report_dashboard": only(REPORT_READERS),
    "api:report_index766": only(INDEX_READERS),
    "api:alert_list": only(OFFICERS | {SYSTEM}),
    # Any other address under /api/v1/ is "not found", for everyone.
    "/api/v1/^.*/$": Rule(allowed=frozenset()),
    **API_ACTIONS,
}

OTHERS: dict[str, Rule] = {
    "set_language": public(get=False, post=lambda w: {"language": "en", "next": "/"}),
    # The admin's sign-in sends to the back office's sign-in page (lockout, second factor).
    "/admin/login/": public(probe_status=frozenset({302})),
    "core:healthz": public(),
    "core:readyz": public(),
    "core:metrics": public(),
}

RULES: dict[str, Rule] = {**BACKOFFICE, **PORTAL, **API, **OTHERS}

# The same routes asked, by a query parameter rather than the path, about another unit's books
# or figures: refused, or answered without them.
_HUE_LOGBOOK = "unit={hue_center_pk}&start={yesterday}&end={today}"
_LAND_OFFICE_FIGURES = only(
    LEADER, CONTROLLER, DIRECTOR, query=lambda w: f"unit={w['land_agency_pk']}"
)
VARIANTS: dict[str, tuple[str, Rule]] = {
    "logbook of Huế's center": (
        "backoffice:logbook",
        only(
            DESK,
            LEADER,
            query=lambda w: _HUE_LOGBOOK.format(**w),
            hidden={p: ("land",) for p in OFFICERS - {DESK, LEADER}},
        ),
    ),
    "report of the land office": ("backoffice:operational_report", _LAND_OFFICE_FIGURES),
    "dashboard of the land office": ("backoffice:stats_dashboard", _LAND_OFFICE_FIGURES),
    "API report of the land office": ("api:report_operational", _LAND_OFFICE_FIGURES),
    "API dashboard of the land office": ("api:report_dashboard", _LAND_OFFICE_FIGURES),
}

# The admin: staff only, everyone else sent to its sign-in. A sample of its pages.
ADMIN_NAMESPACE = "admin"
ADMIN_RULE = only(STAFF)
ADMIN_SAMPLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("admin:index", ()),
    ("admin:app_list", ("app_catalog",)),
    ("admin:catalog_procedure_changelist", ()),
    ("admin:catalog_procedureversion_change", ("land_version",)),
    ("admin:accounts_user_changelist", ()),
    ("admin:accounts_user_change", ("citizen_pk",)),
    ("admin:audit_event_changelist", ()),
    ("admin:agencies_unit_add", ()),
    ("admin:authtoken_tokenproxy_changelist", ()),
)
