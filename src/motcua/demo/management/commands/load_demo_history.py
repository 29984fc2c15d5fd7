from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from motcua.catalog.selectors import procedure_current_version, procedure_get
from motcua.documents.selectors import citizen_documents
from motcua.dossiers.services import ApplicantData, ReceivedComponent, dossier_receive
from motcua.lib.pdf import html_to_pdf

# Certified copy of a business household registration, checked against its original at the
# ward desk: the demo citizen can reuse it online instead of uploading it again.
PROCEDURE = "2.000720"


class Command(BaseCommand):
    help = (
        "Give the demo citizen (congdan) a past counter dossier whose scans were checked against "
        "the originals, so their document store has something to reuse. Run after load_demo; "
        "does nothing the second time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        citizen = get_user_model().objects.get(username="congdan")
        if citizen_documents(user=citizen).exists():
            self.stdout.write("The demo citizen already has documents.")
            return
        officer = get_user_model().objects.get(username="tiepnhanphuong")
        version = procedure_current_version(procedure=procedure_get(national_code=PROCEDURE))
        components: list[ReceivedComponent] = []
        for requirement in version.components.all():
            scan = None
            if not components:
                scan = SimpleUploadedFile(
                    "ban-sao-giay-chung-nhan-ho-kinh-doanh.pdf",
                    html_to_pdf(
                        render_to_string(
                            "demo/sample_scan.html",
                            {"title": requirement.name, "holder": citizen.full_name},
                        )
                    ),
                )
            components.append(ReceivedComponent(requirement_id=requirement.pk, scan=scan))
        dossier, _replayed = dossier_receive(
            actor=officer,
            version=version,
            applicant=ApplicantData(
                name=citizen.full_name,
                id_number=citizen.id_number,
                address="12 Nguyễn Huệ, phường Thuận Hóa, thành phố Huế",
                phone=citizen.phone,
                email=citizen.email,
            ),
            components=components,
        )
        self.stdout.write(self.style.SUCCESS(f"Counter dossier {dossier.code} for congdan."))
