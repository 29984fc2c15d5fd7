"""Vietnamese by default, English when chosen: pages by the switch's cookie, the API by header.

The msgids are Vietnamese; English comes from locale/en/LC_MESSAGES/django.po, which must have a
translation for every one of them (Django silently shows the msgid for a missing or fuzzy one).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation

import motcua

LOCALE = Path(motcua.__file__).resolve().parent / "locale"
CATALOGUE = LOCALE / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")

LOOKUP_FAILED_VI = (
    "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu đã nhập. Hãy kiểm tra lại giấy tiếp nhận."
)
LOOKUP_FAILED_EN = (
    "No dossier matches the dossier code and lookup secret you entered. Please check your receipt."
)


@pytest.fixture
def english(settings: Any) -> Iterator[None]:
    """The English catalogue compiled and freshly loaded; no language left active afterwards."""
    compiled = CATALOGUE.with_suffix(".mo")
    if not compiled.exists() or compiled.stat().st_mtime < CATALOGUE.stat().st_mtime:
        # `make test` compiles it; this keeps a bare `pytest` on a fresh checkout honest too.
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            pytest.skip("gettext's msgfmt is not installed: the English catalogue is not compiled")
        fd, partial = tempfile.mkstemp(dir=compiled.parent, suffix=".mo.partial")
        os.close(fd)
        subprocess.run([msgfmt, "--check-format", "-o", partial, str(CATALOGUE)], check=True)
        os.replace(partial, compiled)  # atomic: a parallel worker never reads half a file
    # Changing LOCALE_PATHS makes Django forget catalogues loaded before the .mo existed.
    settings.LOCALE_PATHS = [*settings.LOCALE_PATHS]
    yield
    # The middleware activates the language in the test's own thread; do not leak English.
    translation.deactivate()


def choose_english(client: Any) -> Any:
    return client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)


def test_it_reads_the_catalogue_from_the_configured_locale_path():
    assert LOCALE in [Path(path).resolve() for path in django_settings.LOCALE_PATHS]
    assert CATALOGUE.is_file()


@pytest.mark.django_db
def test_it_shows_the_home_page_in_vietnamese_even_to_an_english_browser(client, english):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in page
    assert "Tra cứu hồ sơ" in page
    assert "Mã tra cứu (in trên giấy tiếp nhận)" in page
    assert "Look up a dossier" not in page
    assert response.headers["Content-Language"] == "vi"


@pytest.mark.django_db
def test_it_shows_the_home_page_in_english_once_english_is_chosen(client, english):
    response = choose_english(client)

    page = response.content.decode()
    assert response.redirect_chain == [("/", 302)]
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in page
    assert "Look up a dossier" in page
    assert "Lookup secret (printed on the receipt)" in page
    assert "See the list of administrative procedures" in page
    assert "Tra cứu hồ sơ" not in page
    # The switch now offers the way back, in Vietnamese.
    assert 'value="vi"' in page
    assert "Tiếng Việt" in page


@pytest.mark.django_db
def test_it_keeps_english_on_the_lookup_page(client, english):
    choose_english(client)

    page = client.get("/tra-cuu/").content.decode()

    assert "Track the progress of a dossier" in page
    assert "Dossier code" in page
    assert "Lookup secret (printed on the receipt)" in page
    assert "Tra cứu tiến độ hồ sơ" not in page


@pytest.mark.django_db
def test_it_says_the_lookup_failure_in_english_once_english_is_chosen(client, english):
    choose_english(client)

    response = client.post("/tra-cuu/", {"code": "X-000000-0000", "secret": "WRONGONE"})

    assert response.status_code == 404
    assert LOOKUP_FAILED_EN in response.content.decode()


@pytest.mark.django_db
def test_it_shows_the_back_office_login_in_english_once_english_is_chosen(client, english):
    choose_english(client)

    response = client.get("/backoffice/dang-nhap/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Staff login" in page
    assert "Username" in page
    assert "Password" in page
    assert "Đăng nhập dành cho cán bộ" not in page


@pytest.mark.django_db
def test_it_shows_the_back_office_login_in_vietnamese_by_default(client, english):
    page = client.get("/backoffice/dang-nhap/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Đăng nhập dành cho cán bộ" in page
    assert "Staff login" not in page


@pytest.mark.django_db
def test_it_answers_the_api_in_english_when_the_client_asks_for_it(client, english):
    response = client.post(
        "/api/v1/lookup/",
        {"code": "X-000000-0000", "secret": "WRONGONE"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    problem = response.json()
    assert response.status_code == 404
    assert response.headers["Content-Language"] == "en"
    assert problem["code"] == "lookup_failed"
    assert problem["title"] == "Not found"
    assert problem["detail"] == LOOKUP_FAILED_EN


@pytest.mark.django_db
def test_it_answers_the_api_in_vietnamese_without_accept_language(client, english):
    response = client.post(
        "/api/v1/lookup/",
        {"code": "X-000000-0000", "secret": "WRONGONE"},
        content_type="application/json",
    )

    problem = response.json()
    assert response.status_code == 404
    assert response.headers["Content-Language"] == "vi"
    assert problem["code"] == "lookup_failed"
    assert problem["title"] == "Không tìm thấy"
    assert problem["detail"] == LOOKUP_FAILED_VI


# ---------------------------------------------------------------------------------------------
# The catalogue itself, read without polib: entries are blank-line separated blocks of
# `#` comments, `#,` flags and msgid / msgid_plural / msgstr / msgstr[n] with continued strings.


def po_entries(path: Path) -> list[dict[str, Any]]:
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, Any] = {"flags": set(), "msgstr": []}
        field = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                text = ast.literal_eval(line)
                if field == "msgstr":
                    entry["msgstr"][-1] += text
                else:
                    entry[field] += text
            else:
                keyword, _, quoted = line.partition(" ")
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                text = ast.literal_eval(quoted)
                if field == "msgstr":
                    entry["msgstr"].append(text)
                else:
                    entry[field] = text
        if "msgid" in entry or entry.get("obsolete"):
            entries.append(entry)
    return entries


def test_it_parses_the_catalogue_into_entries():
    entries = po_entries(CATALOGUE)
    header = next(entry for entry in entries if entry["msgid"] == "")

    assert "Language: en\n" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]
    assert len(entries) > 400


def test_it_translates_every_message_of_the_english_catalogue():
    messages = [entry for entry in po_entries(CATALOGUE) if entry.get("msgid")]

    untranslated = [m["msgid"] for m in messages if not all(s.strip() for s in m["msgstr"])]
    fuzzy = [m["msgid"] for m in messages if "fuzzy" in m["flags"]]
    obsolete = [m for m in po_entries(CATALOGUE) if m.get("obsolete")]
    assert untranslated == []
    assert fuzzy == []
    assert obsolete == []
    assert all(len(m["msgstr"]) == 2 for m in messages if "msgid_plural" in m)


def test_it_keeps_every_placeholder_of_the_vietnamese_message():
    messages = [entry for entry in po_entries(CATALOGUE) if entry.get("msgid")]

    def names(text: str) -> set[str]:
        return set(PLACEHOLDER.findall(text))

    changed = [
        (m["msgid"], text)
        for m in messages
        for text in m["msgstr"]
        if names(text) != names(m["msgid"])
    ]
    assert changed == []
