"""Reaching dossier states through the real services, for tests."""

from __future__ import annotations

from typing import Any

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.selectors import procedure_current_version, procedure_get
from motcua.dossiers.services import ApplicantData, ReceivedComponent, dossier_receive

CITIZEN = ApplicantData(
    name="Nguyễn Thị Hồng Nhung",
    id_number="046190001234",
    address="12 Lê Lợi, phường Thuận Hóa",
    phone="0912345678",
    email="nhung@example.vn",
)


def version_of(national_code: str) -> ProcedureVersion:
    return procedure_current_version(procedure=procedure_get(national_code=national_code))


def all_components(version: ProcedureVersion) -> list[ReceivedComponent]:
    return [ReceivedComponent(requirement_id=c.pk) for c in version.components.all()]


def receive(
    actor: Any, national_code: str, applicant: ApplicantData = CITIZEN, **kwargs: Any
) -> Any:
    version = version_of(national_code)
    kwargs.setdefault("components", all_components(version))
    dossier, _replayed = dossier_receive(
        actor=actor, version=version, applicant=applicant, **kwargs
    )
    return dossier
