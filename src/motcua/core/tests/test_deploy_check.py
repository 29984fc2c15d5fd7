"""`manage.py check --deploy` passes with a province's production variables, and only then.

Each check runs in a fresh process, as at a deploy: the settings are read from the environment
once, at start-up.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from motcua.core.tests.processes import MANAGE, production_environment, run_django

DEVELOPMENT_KEY = "insecure-development-key-change-me-in-production"


def deploy_check(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_django(environment, str(MANAGE), "check", "--deploy", "--fail-level", "WARNING")


def test_it_passes_with_the_production_variables(tmp_path: Path) -> None:
    result = deploy_check(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_with_the_development_key(tmp_path: Path) -> None:
    environment = production_environment(tmp_path) | {"MOTCUA_SECRET_KEY": DEVELOPMENT_KEY}
    result = deploy_check(environment)
    assert result.returncode != 0
    assert "ConfigurationError: MOTCUA_SECRET_KEY is still the development default" in (
        result.stderr
    )


def test_it_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    environment = production_environment(tmp_path)
    del environment["MOTCUA_SECRET_KEY"]
    result = deploy_check(environment)
    assert result.returncode != 0
    assert "MOTCUA_SECRET_KEY is still the development default" in result.stderr


@pytest.mark.parametrize(
    "weak", ["short-but-random-3f9a", "a" * 64, "django-insecure-" + "x1" * 30]
)
def test_it_refuses_a_weak_key(tmp_path: Path, weak: str) -> None:
    environment = production_environment(tmp_path) | {"MOTCUA_SECRET_KEY": weak}
    result = deploy_check(environment)
    assert result.returncode != 0
    assert "MOTCUA_SECRET_KEY is too weak" in result.stderr


def test_a_key_file_is_read_for_the_secret(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(64) + "\n")
    environment = production_environment(tmp_path)
    del environment["MOTCUA_SECRET_KEY"]
    environment["MOTCUA_SECRET_KEY_FILE"] = str(key_file)
    assert deploy_check(environment).returncode == 0


def test_without_https_it_warns_about_every_missing_protection(tmp_path: Path) -> None:
    environment = production_environment(tmp_path) | {"MOTCUA_HTTPS": "false"}
    result = deploy_check(environment)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_the_development_defaults_still_start_on_plain_http(tmp_path: Path) -> None:
    environment = production_environment(tmp_path)
    for name in ("MOTCUA_HTTPS", "MOTCUA_SECRET_KEY", "MOTCUA_EMAIL_URL"):
        del environment[name]
    result = run_django(environment, str(MANAGE), "check")
    assert result.returncode == 0, result.stderr


def test_hsts_preload_is_opt_in(tmp_path: Path) -> None:
    environment = production_environment(tmp_path) | {"MOTCUA_HSTS_PRELOAD": "true"}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECURE_HSTS_PRELOAD, settings.SECURE_HSTS_SECONDS, "
        "settings.SILENCED_SYSTEM_CHECKS)"
    )
    result = run_django(environment, "-c", code)
    assert result.stdout.strip() == "True 31536000 []", result.stderr
    assert deploy_check(environment).returncode == 0


def test_a_log_format_it_does_not_know_stops_the_start(tmp_path: Path) -> None:
    environment = production_environment(tmp_path) | {"MOTCUA_LOG_FORMAT": "xml"}
    result = deploy_check(environment)
    assert result.returncode != 0
    assert "MOTCUA_LOG_FORMAT must be one of text, json, got 'xml'" in result.stderr
