"""Shared fixtures: the demo center with its personas, loaded through the real commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation


@dataclass
class Demo:
    """The demo center. Personas are the people of demo/data/organisation.yaml."""

    def person(self, username: str) -> Any:
        return get_user_model().objects.get(username=username)

    @property
    def reception_officer(self) -> Any:
        return self.person("tiepnhan")

    @property
    def ward_officer(self) -> Any:
        return self.person("tiepnhanphuong")

    @property
    def land_specialist(self) -> Any:
        return self.person("chuyenvien")

    @property
    def land_head(self) -> Any:
        """Head of the land office's registration department: assigns, approves supplements."""
        return self.person("truongphong")

    @property
    def land_director(self) -> Any:
        """The land office's director: signs results and apologies."""
        return self.person("lanhdao")

    @property
    def police_officer(self) -> Any:
        return self.person("congan")

    @property
    def tax_officer(self) -> Any:
        return self.person("canbothue")

    @property
    def center_leader(self) -> Any:
        return self.person("giamdoc")

    @property
    def outsider(self) -> Any:
        """A reception officer of another ward: must see and do nothing at Huế's center."""
        return self.person("phuxuan")

    def nobody(self) -> Any:
        """An account with no role at all."""
        user, _ = get_user_model().objects.get_or_create(
            username="khach", defaults={"full_name": "Khách"}
        )
        return user


@pytest.fixture
def demo(db: Any) -> Demo:
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Demo()


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Demo personas get real passwords; the production hasher's cost would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _one_redis_database_per_worker(settings)


def _one_redis_database_per_worker(settings: Any) -> None:
    # Tests clear the cache (Redis FLUSHDB) between them; parallel workers must not clear, or
    # count throttle failures in, each other's database.
    import os
    import re

    cache_settings = settings.CACHES["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if "redis" not in cache_settings["BACKEND"] or not worker.startswith("gw"):
        return
    database = 1 + int(worker[2:])
    cache_settings["LOCATION"] = re.sub(
        r"(/\d+)?$", f"/{database}", cache_settings["LOCATION"], count=1
    )


@pytest.fixture(scope="session", autouse=True)
def _session_pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Demo certificates of a test session live in a temporary directory, never in var/pki."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("pki")
    previous = settings.MOTCUA_PKI_DIR, settings.MOTCUA_SIGNING_DEMO_PKI
    settings.MOTCUA_PKI_DIR, settings.MOTCUA_SIGNING_DEMO_PKI = path, True
    yield path
    settings.MOTCUA_PKI_DIR, settings.MOTCUA_SIGNING_DEMO_PKI = previous


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Throttle counters live in the cache; each test starts with none.
    cache.clear()


@pytest.fixture(autouse=True)
def _forget_cached_versions() -> None:
    # Rolled-back tests reuse primary keys, which the per-process version cache relies on.
    from motcua.catalog.selectors import published_versions

    published_versions.clear()


@pytest.fixture(autouse=True)
def _vietnamese_after_each_test() -> Any:
    # A request in English switches the test's thread to English; the next test starts afresh.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach outside the machine: only loopback connections are allowed."""
    import socket

    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in {"localhost", "::1"} or host.startswith("/")
        ):
            raise RuntimeError(f"Tests must not open network connections (tried {address!r})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def browser_demo(transactional_db: Any) -> Demo:
    """The demo center, committed, so the live server's thread sees it."""
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return Demo()


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Any:
    """Debian's headless Chromium driven by Playwright; nothing is downloaded."""
    import os

    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    executable = os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir() -> Any:
    import os
    from pathlib import Path

    from django.conf import settings

    path = Path(os.environ.get("MOTCUA_ARTIFACTS_DIR", settings.VAR_DIR / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
