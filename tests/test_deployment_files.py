"""The container and deployment files agree with the code, the docs and CI.

Docker is not needed: compose.yaml, the Dockerfile, the environment example, nginx's and
systemd's files are read and checked against settings.py, docs/configuration.md, the
management commands, the Makefile's background commands and .ci/run's system packages; nginx
and systemd check their own files when they are installed (Debian's `nginx` and `systemd`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTINGS = (ROOT / "src" / "motcua" / "settings.py").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
ENV_EXAMPLE = DEPLOY / "motcua.env.example"
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
START = (DEPLOY / "start").read_text()
UNITS = sorted((DEPLOY / "systemd").iterdir())
MOTCUA_VARIABLE = re.compile(r"\bMOTCUA_[A-Z0-9_]*[A-Z0-9]\b")
IMAGE = "motcua:latest"

# The Debian packages of .ci/run and of the Dockerfile, by purpose. The application's own needs
# must be in both; everything else must be named here with its reason, so a package added to
# one side only is a decision, not an accident.
RUNTIME_PACKAGES = {"fonts-liberation2", "libharfbuzz-subset0", "gettext"}
IMAGE_ONLY_PACKAGES = {
    "libpango-1.0-0": "WeasyPrint's Pango: preinstalled on the CI machine",
    "libpangoft2-1.0-0": "WeasyPrint's Pango: preinstalled on the CI machine",
    "postgresql-client": "pg_dump for scripts/backup: CI has PostgreSQL's own packages",
}
CI_ONLY_PACKAGES = {
    "chromium": "browser tests",
    "chromium-driver": "browser tests",
    "poppler-utils": "tests read the PDFs",
    "nginx": "tests check deploy/nginx with nginx -t",
    "nginx-light": "tests check deploy/nginx with nginx -t",
    "curl": "scripts/s3-server and the other test helpers poll servers with it",
    "wrk": "load benchmark",
    "clamav": "upload scanning tests (production runs its own ClamAV daemon)",
    "clamav-daemon": "upload scanning tests (production runs its own ClamAV daemon)",
    "clamav-freshclam": "upload scanning tests (production runs its own ClamAV daemon)",
}


def env_example() -> dict[str, str]:
    values = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, separator, value = line.partition("=")
        assert separator and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"line {number}: {line!r}"
        assert not value.startswith(("'", '"')), (
            f"line {number}: compose and systemd quote differently"
        )
        values[name] = value
    return values


def motcua_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("image") == IMAGE
    }


def variables_named_in(*texts: str) -> set[str]:
    return {name for text in texts for name in MOTCUA_VARIABLE.findall(text)}


class TestEnvironmentVariables:
    def deployment_texts(self) -> list[str]:
        return [
            ENV_EXAMPLE.read_text(),
            (ROOT / "compose.yaml").read_text(),
            DOCKERFILE,
            START,
            *(unit.read_text() for unit in UNITS),
        ]

    def test_every_variable_the_deployment_sets_is_read_by_the_settings(self) -> None:
        unknown = []
        for name in sorted(variables_named_in(*self.deployment_texts())):
            if name.endswith("_FILE"):
                base = name.removesuffix("_FILE")
                if not re.search(rf'env_secret\(\s*"{base}"', SETTINGS):
                    unknown.append(f"{name} ({base} is not read with env_secret)")
            elif f'"{name}"' not in SETTINGS:
                unknown.append(name)
        assert not unknown, f"not in src/motcua/settings.py: {unknown}"

    def test_every_variable_the_deployment_sets_is_documented(self) -> None:
        names = {n.removesuffix("_FILE") for n in variables_named_in(*self.deployment_texts())}
        missing = sorted(name for name in names if f"`{name}`" not in CONFIGURATION)
        assert not missing, f"not in docs/configuration.md: {missing}"

    def test_no_secret_is_written_in_the_example(self) -> None:
        values = env_example()
        secrets = [
            name
            for name in values
            if re.search(r"SECRET|PASSWORD|TOKEN|API_KEY|EMAIL_URL", name)
            and not name.endswith("_FILE")
        ]
        assert not secrets, f"give these as NAME_FILE instead: {secrets}"
        # The database password is in the libpq password file (PGPASSFILE), not in the URL.
        assert urlsplit(values["DATABASE_URL"]).password is None

    def test_the_example_passes_djangos_deployment_checks(self, tmp_path) -> None:
        # The secrets a site gives as files, here made up; everything else as in the example.
        secret_key = tmp_path / "secret_key"
        secret_key.write_text("x" * 10 + os.urandom(32).hex())
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            **env_example(),
            "MOTCUA_SECRET_KEY_FILE": str(secret_key),
            "MOTCUA_EMAIL_URL": "smtp://motcua:password@mail.example.gov.vn:587?tls=true",
            "MOTCUA_VAR_DIR": str(tmp_path / "var"),
        }
        checked = subprocess.run(
            [sys.executable, ROOT / "src" / "manage.py", "check", "--deploy", "--fail-level",
             "WARNING"],
            env=env,
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr[-3000:]


class TestCommands:
    def management_commands(self) -> set[str]:
        # With the rq backend, as the example configures: rqworker comes with django_rq.
        listed = subprocess.run(
            [sys.executable, ROOT / "src" / "manage.py", "help", "--commands"],
            env={**os.environ, "MOTCUA_TASKS_BACKEND": "rq"},
            capture_output=True,
            text=True,
            check=True,
        )
        return set(listed.stdout.split())

    def test_every_command_deploy_start_runs_exists(self) -> None:
        run = set(re.findall(r'manage(?:\[\*\]\}|\[@\]\}"?) (\w+)', START))

        assert {"migrate", "rqworker", "db_worker", "deliver_messages", "close_periods"} <= run
        assert run - self.management_commands() == set()

    def test_every_background_command_of_the_makefile_runs_in_the_same_rhythm(self) -> None:
        makefile = (ROOT / "Makefile").read_text()
        sweeps = set(re.findall(r"\$\(MANAGE\) (\w+) --loop (\d+)", makefile))

        assert len(sweeps) >= 6
        deployed = set(re.findall(r"manage\[\*\]\} (\w+) --loop (\d+)", START))
        assert sweeps == deployed

    def test_compose_runs_only_roles_of_deploy_start(self) -> None:
        roles = set(re.findall(r"^  ([a-z-]+(?: \| [a-z-]+)*)\)$", START, re.MULTILINE))
        roles = {role for group in roles for role in group.split(" | ")}
        for name, service in motcua_services().items():
            assert service["command"][0] in roles, name

        assert {"web", "worker", "scheduler", "migrate"} <= roles

    def test_deploy_start_is_valid_bash(self) -> None:
        assert subprocess.run(["bash", "-n", DEPLOY / "start"]).returncode == 0
        assert os.access(DEPLOY / "start", os.X_OK)
        for script in ("backup", "restore", "restore-drill"):
            assert os.access(ROOT / "scripts" / script, os.X_OK), script


class TestCompose:
    def test_it_runs_the_topology_of_the_guide(self) -> None:
        services = COMPOSE["services"]
        commands = {name: s["command"][0] for name, s in motcua_services().items()}

        assert {"nginx", "postgres", "redis", "minio"} <= set(services)
        assert commands == {
            "migrate": "migrate", "app": "web", "worker": "worker", "scheduler": "scheduler"
        }  # fmt: skip
        assert services["app"]["deploy"]["replicas"] >= 2
        # The scheduler runs its sweeps once: it is never replicated.
        assert "deploy" not in services["scheduler"]

    def test_every_app_node_waits_for_the_migrations(self) -> None:
        for name in ("app", "worker", "scheduler"):
            waits = COMPOSE["services"][name]["depends_on"]["migrate"]
            assert waits == {"condition": "service_completed_successfully"}, name

    def test_every_file_it_mounts_or_reads_is_in_the_repository_or_a_site_secret(self) -> None:
        for service in COMPOSE["services"].values():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("./deploy/nginx"):
                    assert (ROOT / source).is_file(), source
            for env_file in service.get("env_file", []):
                if env_file.get("required", True):
                    assert (ROOT / env_file["path"]).is_file(), env_file
        for secret in COMPOSE["secrets"].values():
            assert secret["file"].startswith("deploy/secrets/")

    def test_every_secret_a_service_uses_is_declared(self) -> None:
        declared = set(COMPOSE["secrets"])
        for name, service in COMPOSE["services"].items():
            used = {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}
            assert used <= declared, name

    def test_only_nginx_is_trusted_as_a_proxy(self) -> None:
        nginx = COMPOSE["services"]["nginx"]["networks"]["motcua"]["ipv4_address"]

        assert env_example()["MOTCUA_TRUSTED_PROXIES"] == nginx


class TestDockerfile:
    def apt_packages(self, text: str) -> set[str]:
        packages: set[str] = set()
        for command in re.findall(r"apt-get install([^&]*)", text):
            packages |= {
                word
                for word in command.replace("\\", " ").split()
                if re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", word)
            }
        return packages

    def ci_packages(self) -> set[str]:
        ci = (ROOT / ".ci" / "run").read_text()
        return {
            package
            for array in re.findall(r"needed\+?=\(([^)]*)\)", ci)
            for package in array.split()
        }

    def test_it_installs_what_the_application_needs_like_ci_does(self) -> None:
        image, ci = self.apt_packages(DOCKERFILE), self.ci_packages()

        assert image >= RUNTIME_PACKAGES and ci >= RUNTIME_PACKAGES
        assert image - ci - set(IMAGE_ONLY_PACKAGES) == set(), "in the image only, say why"
        assert ci - image - set(CI_ONLY_PACKAGES) == set(), "in CI only, say why"

    def test_it_runs_as_a_user_and_starts_through_deploy_start(self) -> None:
        assert "FROM python:3.13-slim-bookworm" in DOCKERFILE
        user = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
        assert user and user[-1] not in {"root", "0"}
        assert 'ENTRYPOINT ["/app/deploy/start"]' in DOCKERFILE
        assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
        assert "compilemessages" in DOCKERFILE and "collectstatic" in DOCKERFILE

    def test_secrets_and_local_state_never_enter_the_image(self) -> None:
        ignored = set((ROOT / ".dockerignore").read_text().split())

        assert {".git", ".venv", "var", "deploy/secrets", "deploy/tls", "deploy/pki"} <= ignored
        assert "deploy/motcua.env" in ignored


def self_signed(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dichvucong.example.gov.vn")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True)
    (directory / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt nginx)")
def test_nginx_accepts_the_configuration(tmp_path) -> None:
    # The shipped files, with /etc/nginx/ moved under a temporary prefix and the upstream's host
    # name (compose's "app", which does not resolve here) replaced by this machine.
    prefix = tmp_path / "nginx"
    (prefix / "conf.d").mkdir(parents=True)
    (prefix / "motcua").mkdir()
    site = (DEPLOY / "nginx" / "motcua.conf").read_text().replace("/etc/nginx/", f"{prefix}/")
    (prefix / "conf.d" / "motcua.conf").write_text(site)
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text().replace("app:", "127.0.0.1:")
    (prefix / "motcua" / "upstream.conf").write_text(upstream)
    self_signed(prefix / "tls")
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (prefix / "nginx.conf").write_text(
        f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\n"
        f"http {{ {mime} access_log off; include {prefix}/conf.d/*.conf; }}\n"
    )

    tested = subprocess.run(
        ["nginx", "-t", "-p", f"{prefix}/", "-e", f"{prefix}/error.log", "-c",
         f"{prefix}/nginx.conf"],
        capture_output=True,
        text=True,
    )  # fmt: skip

    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr
    assert "[warn]" not in tested.stderr, tested.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_systemd_accepts_the_unit(unit: str, tmp_path) -> None:
    copy = tmp_path / unit
    copy.write_text((DEPLOY / "systemd" / unit).read_text())

    verified = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", copy], capture_output=True, text=True
    )

    # The checkout is not installed in /opt/motcua here: only that may be reported.
    problems = [
        line
        for line in verified.stderr.splitlines()
        if line.strip() and "/opt/motcua/deploy/start is not executable" not in line
    ]
    assert problems == []
