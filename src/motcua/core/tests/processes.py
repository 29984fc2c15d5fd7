"""A fresh Django process with its own environment, as at a deploy: settings are read once."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import motcua

SOURCE = Path(motcua.__file__).resolve().parent.parent
MANAGE = SOURCE / "manage.py"

# Requests made by the test client inside the process; one JSON line printed per answer.
_CLIENT_SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
for method, path, headers in json.loads(sys.argv[1]):
    response = getattr(client, method.lower())(path, headers=headers)
    print(json.dumps({
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {name: morsel.OutputString() for name, morsel in response.cookies.items()},
        "body": response.content.decode(errors="replace"),
    }))
"""


def production_environment(var_dir: Path) -> dict[str, str]:
    """What docs/configuration.md's example production environment sets, and nothing else."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MOTCUA_", "DATABASE_URL", "PROMETHEUS_"))
    }
    return inherited | {
        "MOTCUA_VAR_DIR": str(var_dir),
        "MOTCUA_HTTPS": "true",
        "MOTCUA_SECRET_KEY": secrets.token_urlsafe(64),
        "MOTCUA_ALLOWED_HOSTS": "motcua.hue.gov.vn",
        "MOTCUA_SITE_URL": "https://motcua.hue.gov.vn",
        "MOTCUA_EMAIL_URL": "smtp://motcua:mat-khau@mail.hue.gov.vn:587?tls=true",
        "MOTCUA_SIGNING_DEMO_PKI": "false",
        "MOTCUA_LOG_FORMAT": "json",
    }


def run_django(
    environment: dict[str, str], *arguments: str, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment | {"DJANGO_SETTINGS_MODULE": "motcua.settings"},
        cwd=SOURCE,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def requests_in_process(
    environment: dict[str, str], requests: list[tuple[str, str, dict[str, str]]]
) -> tuple[list[dict[str, Any]], str]:
    """Answers to (method, path, headers) made in a fresh process, and what it logged."""
    result = run_django(environment, "-c", _CLIENT_SCRIPT, json.dumps(requests))
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(answers) == len(requests), result.stdout + result.stderr
    return answers, result.stderr
