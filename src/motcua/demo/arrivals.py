"""How the demo's dossiers arrive: at the counter, by post, or filed online by a demo citizen
and accepted at the desk; and who the applicants are."""

from __future__ import annotations

import random
from collections.abc import Generator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from motcua.dossiers import online
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import ApplicantData, ReceivedComponent, dossier_receive
from motcua.lib import jsonform

if TYPE_CHECKING:
    from motcua.demo.activity import Story
    from motcua.demo.lives import World

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Đức", "Hồng")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Khánh", "Lan",
         "Long", "Mai", "Nam", "Nhung", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn",
         "Vy", "Yến")  # fmt: skip
STREETS = ("Lê Lợi", "Hùng Vương", "Trần Hưng Đạo", "Nguyễn Huệ", "Hà Nội", "Bà Triệu",
           "Phan Đình Phùng", "Điện Biên Phủ", "Lê Duẩn", "Nguyễn Trãi", "Đống Đa")  # fmt: skip


def person(rng: random.Random) -> ApplicantData:
    """A fictional applicant from Huế (ID numbers start with the province code 046)."""
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    born = rng.randrange(55, 105) % 100
    century = 0 if born >= 5 else 2
    return ApplicantData(
        name=name,
        id_number=f"046{century + rng.randrange(2)}{born:02d}{rng.randrange(10**6):06d}",
        address=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, phường Thuận Hóa, thành phố Huế",
        phone=f"09{rng.randrange(10**8):08d}",
    )


def applicant(dossier: Dossier) -> ApplicantData:
    return ApplicantData(name=dossier.applicant_name, id_number=dossier.applicant_id_number)


def arrive(world: World, story: Story) -> Generator[datetime, None, Dossier]:
    """Received at the story's instant; an online one submitted some hours before."""
    version = world.version(story.procedure.code)
    desk = world.desk(version)
    if story.channel == "online":
        submitted = story.received_at - timedelta(hours=story.rng.uniform(0.5, 40))
        yield submitted
        code = _submit_online(world, story).code
        yield story.received_at
        return online.online_accept(actor=desk, code=code)
    yield story.received_at
    components = [ReceivedComponent(requirement_id=c.pk) for c in version.components.all()]
    post = story.channel == "post"
    dossier, _replayed = dossier_receive(
        actor=desk,
        version=version,
        applicant=person(story.rng),
        components=components,
        channel=story.channel,
        result_channel="post" if post else "desk",
        idempotency_key=story.key,
    )
    return dossier


def _submit_online(world: World, story: Story) -> Dossier:
    citizen = world.citizen(story)
    draft = online.draft_start(user=citizen, version=world.version(story.procedure.code))
    version = draft.procedure_version
    values = {f.name: _sample(f, story.rng) for f in jsonform.form_fields(version.form_schema)}
    online.draft_save(
        draft=draft,
        applicant=draft.applicant | {"address": "7 Lê Lợi, phường Thuận Hóa, thành phố Huế"},
        form_data=values,
        result_channel="online" if story.rng.random() < 0.6 else "desk",
    )
    for requirement in version.components.all():
        if requirement.is_mandatory:
            upload = world.upload("giay-to.pdf")
            online.draft_attach(draft=draft, requirement_id=requirement.pk, uploaded=upload)
    return online.draft_submit(draft=draft).dossier


def _sample(field: Any, rng: random.Random) -> Any:
    """A plausible answer to one field of the procedure's form."""
    if field.choices:
        return rng.choice(field.choices)[0]
    if field.kind in {"integer", "number"}:
        return str(int(field.minimum or 1))
    typed = {
        "checkbox": True,
        "date": "2025-06-02",
        "email": "nguoidan@example.vn",
        "tel": "0905123456",
    }
    if field.kind in typed:
        return typed[field.kind]
    # The other fields with a format are the ID numbers of the people the form names.
    return "046090012345" if field.pattern else "Theo hồ sơ đính kèm"
