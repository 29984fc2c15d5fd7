"""What the mixed load benchmark (benchmarks/load.py) needs on top of `bench_prepare`.

Run on a database `bench_prepare` filled; safe to run again (a reused database). Writes into
--out:

- citizens.tsv         session key, name, ID number, phone of --citizens portal citizens (one
                       per connection), tab-separated;
- officers.json        session keys and API tokens of the officers the workload acts as;
- online.json          what a citizen types into the online form of the procedure;
- sample.pdf           the file a citizen attaches to each mandatory component;
- forward_pool.tsv     code<TAB>step id of open examination steps the land office may forward;
- accept_pool.tsv      codes of dossiers submitted online, waiting for the desk's acceptance.

With --pools-only it only writes the two pools again (the load uses them up), after topping
them up to --forward-pool and --accept-pool through the product's services when short.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db.models import Q
from rest_framework.authtoken.models import Token

from benchsite.management.commands.bench_prepare import APPLICANT, INTAKE_PROCEDURE
from motcua.catalog.selectors import procedure_current_version, procedure_get, version_get
from motcua.core.testing import sample_pdf
from motcua.dossiers import online
from motcua.dossiers.models import Dossier, DossierState, DossierStep
from motcua.dossiers.services import ApplicantData, ReceivedComponent, dossier_receive
from motcua.lib import jsonform

# Who acts in the workload (personas of load_demo).
DESK = "tiepnhan"  # reception officer of the center: accepts online submissions
EXAMINER = "chuyenvien"  # land office examiner: worklist, forwards the examination step
CONTROLLER = "kiemsoat"  # the province's procedure controller: reports and dashboard
SYSTEM_CLIENT = "he-thong-mot-cua"
# The intake procedure's first processing step, open right after the intake.
EXAMINATION_STEP = "tham_dinh"
CITIZEN_PREFIX = "bench-citizen-"


class Command(BaseCommand):
    help = "Prepare the mixed load benchmark's accounts, sessions and pools of work."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True)
        parser.add_argument("--citizens", type=int, default=64)
        parser.add_argument("--forward-pool", type=int, default=1500)
        parser.add_argument("--accept-pool", type=int, default=300)
        parser.add_argument("--pools-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        version = version_get(
            pk=procedure_current_version(procedure=procedure_get(national_code=INTAKE_PROCEDURE)).pk
        )
        citizens = _citizens(options["citizens"])
        if not options["pools_only"]:
            _write_accounts(out, citizens)
            _write_online_form(out, version)
        forward = _forward_pool(version, options["forward_pool"])
        accept = _accept_pool(version, citizens, options["accept_pool"])
        (out / "forward_pool.tsv").write_text("".join(f"{c}\t{s}\n" for c, s in forward))
        (out / "accept_pool.tsv").write_text("".join(f"{c}\n" for c in accept))
        self.stdout.write(f"pools: {len(forward)} steps to forward, {len(accept)} to accept")


def _citizens(count: int) -> list[Any]:
    users = get_user_model()
    found = []
    for i in range(count):
        user, created = users.objects.get_or_create(
            username=f"{CITIZEN_PREFIX}{i:04d}",
            defaults={
                "full_name": f"Công dân thử tải {i}",
                "is_citizen": True,
                "id_number": f"046090{i:06d}",
                "phone": f"09051{i:05d}",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        found.append(user)
    return found


def _session(user: Any) -> str:
    """A signed-in session, as `django.contrib.auth.login` leaves it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def _write_accounts(out: Path, citizens: list[Any]) -> None:
    users = get_user_model()
    (out / "citizens.tsv").write_text(
        "".join(f"{_session(u)}\t{u.full_name}\t{u.id_number}\t{u.phone}\n" for u in citizens)
    )
    officers: dict[str, dict[str, str]] = {}
    for username in (DESK, EXAMINER, CONTROLLER):
        user = users.objects.get(username=username)
        token, _created = Token.objects.get_or_create(user=user)
        officers[username] = {"session": _session(user), "token": token.key}
    (out / "officers.json").write_text(json.dumps(officers, indent=1))
    (out / "sample.pdf").write_bytes(sample_pdf())


def _write_online_form(out: Path, version: Any) -> None:
    fields = {f.name: _sample(f) for f in jsonform.form_fields(version.form_schema)}
    mandatory = [c.pk for c in version.components.all() if c.is_mandatory]
    body = {
        "procedure": INTAKE_PROCEDURE,
        "fields": fields,
        "address": "7 Lê Lợi, phường Thuận Hóa, thành phố Huế",
        "result_channel": "desk",
        "mandatory": mandatory,
    }
    (out / "online.json").write_text(json.dumps(body, ensure_ascii=False, indent=1))


def _sample(field: Any) -> Any:
    """A plausible answer to one field of the procedure's form (as the demo's citizens give)."""
    if field.choices:
        return field.choices[0][0]
    if field.kind in {"integer", "number"}:
        return str(int(field.minimum or 1))
    typed = {"checkbox": True, "date": "2025-06-02", "email": "nguoidan@example.vn"}
    if field.kind in typed:
        return typed[field.kind]
    if field.kind == "tel":
        return "0905123456"
    return "046090012345" if field.pattern else "Theo hồ sơ đính kèm"


def _forward_pool(version: Any, wanted: int) -> list[tuple[str, int]]:
    """Open examination steps of the intake procedure the examiner may forward; more dossiers
    received through the product's service when there are fewer than wanted."""
    pool = _open_examinations()
    missing = wanted - len(pool)
    if missing > 0:
        client = get_user_model().objects.get(username=SYSTEM_CLIENT)
        applicant = ApplicantData(**APPLICANT)
        components = [ReceivedComponent(requirement_id=c.pk) for c in version.components.all()]
        for _ in range(missing):
            dossier_receive(
                actor=client, version=version, applicant=applicant, components=components
            )
        pool = _open_examinations()
    return pool


def _open_examinations() -> list[tuple[str, int]]:
    examiner = get_user_model().objects.get(username=EXAMINER)
    steps = DossierStep.objects.filter(
        Q(assignee__isnull=True) | Q(assignee=examiner),
        finished_at__isnull=True,
        workflow_step__code=EXAMINATION_STEP,
        procedure__national_code=INTAKE_PROCEDURE,
        dossier__state=DossierState.IN_PROCESSING,
    )
    return list(steps.order_by("pk").values_list("dossier__code", "pk"))


def _accept_pool(version: Any, citizens: list[Any], wanted: int) -> list[str]:
    """Dossiers submitted online, waiting at the desk; more submitted when short."""
    pool = _waiting_online(version)
    missing = wanted - len(pool)
    if missing > 0:
        pdf = sample_pdf()
        form = {f.name: _sample(f) for f in jsonform.form_fields(version.form_schema)}
        mandatory = [c.pk for c in version.components.all() if c.is_mandatory]
        for i in range(missing):
            draft = online.draft_start(user=citizens[i % len(citizens)], version=version)
            online.draft_save(
                draft=draft,
                applicant=draft.applicant | {"address": "7 Lê Lợi, phường Thuận Hóa, Huế"},
                form_data=form,
                result_channel="desk",
            )
            for requirement_id in mandatory:
                upload = SimpleUploadedFile("giay-to.pdf", pdf, content_type="application/pdf")
                online.draft_attach(draft=draft, requirement_id=requirement_id, uploaded=upload)
            online.draft_submit(draft=draft)
        pool = _waiting_online(version)
    return pool


def _waiting_online(version: Any) -> list[str]:
    return list(
        Dossier.objects.filter(
            state=DossierState.SUBMITTED_ONLINE,
            procedure_version__procedure__national_code=INTAKE_PROCEDURE,
            receiving_unit=version.receiving_unit,
        )
        .order_by("pk")
        .values_list("code", flat=True)
    )
