"""Responses shared by the portal and the back office."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse


def stored_file_response(
    document: Any, filename: str = "", *, attachment: bool = False
) -> FileResponse:
    """A stored document (documents.Document) as a download under its sniffed content type;
    nosniff, so a browser never reinterprets an applicant's upload as something else."""
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=filename or document.original_name,
        as_attachment=attachment,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
