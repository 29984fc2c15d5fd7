"""verify_documents, export_documents and import_documents on the real storage (a directory)."""

from __future__ import annotations

import hashlib
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from motcua.core.testing import sample_pdf
from motcua.documents.models import Document, Provenance
from motcua.documents.services import document_store


def store(name: str, content: bytes) -> Document:
    return document_store(
        uploaded=SimpleUploadedFile(name, content), provenance=Provenance.UPLOADED_BY_APPLICANT
    )


def run(command: str, *args: Any, **options: Any) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def documents(db: Any, media: Path) -> list[Document]:
    """Three rows, two files: the same scan attached twice shares one stored file."""
    scan = sample_pdf(title="Giấy chứng nhận quyền sử dụng đất")
    return [
        store("so-do.pdf", scan),
        store("so-do-lan-2.pdf", scan),
        store("cccd.pdf", sample_pdf(title="Căn cước công dân", pages=2)),
    ]


def flip_a_byte(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))


class TestVerifyDocuments:
    def test_it_reports_every_row_and_file_intact(self, documents, media) -> None:
        size = sum({d.file.name: d.size for d in documents}.values())

        out = run("verify_documents")

        assert f"3 rows, 2 files, {size} bytes verified" in out

    def test_it_names_a_file_whose_bytes_changed_and_the_rows_that_point_at_it(
        self, documents, media
    ) -> None:
        flip_a_byte(media / documents[0].file.name)

        with pytest.raises(CommandError, match="1 document problem") as raised:
            run("verify_documents")

        message = str(raised.value)
        assert documents[0].file.name in message
        assert f"#{documents[0].pk}, #{documents[1].pk}" in message

    def test_it_names_a_missing_file(self, documents, media) -> None:
        (media / documents[2].file.name).unlink()

        with pytest.raises(CommandError, match=f"missing \\[document #{documents[2].pk}\\]"):
            run("verify_documents")

    def test_it_detects_a_row_whose_recorded_hash_was_changed(self, documents) -> None:
        Document.objects.filter(pk=documents[1].pk).update(sha256="0" * 64)

        with pytest.raises(CommandError, match=f"content hashes to .*#{documents[1].pk}\\]"):
            run("verify_documents")

    def test_it_detects_a_row_whose_recorded_size_was_changed(self, documents) -> None:
        Document.objects.filter(pk=documents[2].pk).update(size=documents[2].size + 1)

        with pytest.raises(CommandError, match=f"is {documents[2].size} bytes"):
            run("verify_documents")

    def test_an_empty_store_is_intact(self, db, media) -> None:
        assert "0 rows, 0 files" in run("verify_documents")


class TestExportDocuments:
    def test_it_copies_every_file_with_a_checksum_list_sha256sum_accepts(
        self, documents, tmp_path
    ) -> None:
        dest = tmp_path / "export"

        out = run("export_documents", str(dest))

        assert "2 files" in out
        for document in documents:
            copied = (dest / document.file.name).read_bytes()
            assert hashlib.sha256(copied).hexdigest() == document.sha256
        checked = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=dest, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.count(": OK") == 2

    def test_it_refuses_a_directory_that_is_not_empty(self, documents, tmp_path) -> None:
        dest = tmp_path / "export"
        dest.mkdir()
        (dest / "old").write_text("x")

        with pytest.raises(CommandError, match="not empty"):
            run("export_documents", str(dest))

        assert [p.name for p in dest.iterdir()] == ["old"]

    def test_a_damaged_store_is_exported_as_it_is_and_reported(
        self, documents, media, tmp_path
    ) -> None:
        flip_a_byte(media / documents[2].file.name)
        dest = tmp_path / "export"

        with pytest.raises(CommandError, match="1 document problem"):
            run("export_documents", str(dest))

        # The intact file is there; the list says what the damaged one holds now, so the export
        # itself checks out and restoring it keeps the evidence.
        assert (dest / documents[0].file.name).read_bytes() == (
            media / documents[0].file.name
        ).read_bytes()
        assert len((dest / "SHA256SUMS").read_text().splitlines()) == 2


class TestImportDocuments:
    def test_an_export_put_into_an_empty_store_verifies(
        self, documents, settings, tmp_path
    ) -> None:
        run("export_documents", str(tmp_path / "export"))
        settings.MEDIA_ROOT = tmp_path / "restored"

        out = run("import_documents", str(tmp_path / "export"))

        assert "2 files imported, 0 already stored" in out
        assert "3 rows, 2 files" in run("verify_documents")

    def test_files_already_stored_with_the_same_content_are_kept(self, documents, tmp_path) -> None:
        run("export_documents", str(tmp_path / "export"))

        out = run("import_documents", str(tmp_path / "export"))

        assert "0 files imported, 2 already stored" in out

    def test_a_file_stored_with_other_content_is_refused_unless_replace(
        self, documents, media, tmp_path
    ) -> None:
        run("export_documents", str(tmp_path / "export"))
        flip_a_byte(media / documents[0].file.name)

        with pytest.raises(CommandError, match="already stored with other content"):
            run("import_documents", str(tmp_path / "export"))
        with pytest.raises(CommandError):
            run("verify_documents")

        run("import_documents", str(tmp_path / "export"), replace=True)
        assert "3 rows, 2 files" in run("verify_documents")

    def test_a_damaged_export_imports_nothing(self, documents, settings, tmp_path) -> None:
        export = tmp_path / "export"
        run("export_documents", str(export))
        flip_a_byte(export / documents[2].file.name)
        settings.MEDIA_ROOT = tmp_path / "restored"

        with pytest.raises(CommandError, match="1 file\\(s\\) of the export are damaged"):
            run("import_documents", str(export))

        assert not (tmp_path / "restored").exists()

    def test_a_checksum_list_naming_a_path_outside_the_export_is_refused(
        self, db, media, tmp_path
    ) -> None:
        export = tmp_path / "export"
        export.mkdir()
        (export / "SHA256SUMS").write_text(f"{'0' * 64}  ../../etc/passwd\n")

        with pytest.raises(CommandError, match="unsafe file name"):
            run("import_documents", str(export))

    def test_a_missing_checksum_list_is_a_clear_error(self, db, media, tmp_path) -> None:
        with pytest.raises(CommandError, match="Cannot read the export's checksums"):
            run("import_documents", str(tmp_path))
