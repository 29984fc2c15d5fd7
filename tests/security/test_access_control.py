"""Access control of every route, generated from the URL configuration (issue 6).

Every route of `motcua.urls` must have a rule in `access_rules` (a new route without one fails
here, by name). For each route, one allowed persona must get through (2xx, or a redirect that is
not to a sign-in page), so a rule that is too strict or an object in the wrong state fails too;
every other persona must be refused: a page sends the anonymous visitor to its sign-in page and
answers 403 or 404 to whoever is signed in; the API answers 401, 403 or 404 in the problem shape.
A POST that is refused must change nothing: the database counts no row written and the event
log no event. The objects are the demo center's, reached through the real services once per
module (`access_world`); each request runs in a savepoint that is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from motcua.audit.models import Event
from tests.security import access_world
from tests.security.access_rules import (
    ADMIN_NAMESPACE,
    ADMIN_RULE,
    ADMIN_SAMPLE,
    ANON,
    PERSONAS,
    RULES,
    SYSTEM,
    USERNAMES,
    VARIANTS,
    Rule,
)

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# The URL configuration


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the path of an unnamed route
    namespace: str


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            joined = f"{namespace}:{inner}" if namespace and inner else namespace or inner
            yield from _walk(entry, prefix + str(entry.pattern), joined)
        elif isinstance(entry, URLPattern):
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            else:
                key = "/" + prefix + str(entry.pattern)
            yield Route(key, namespace)


def routes() -> list[Route]:
    """Every route of the URL configuration, the admin's aside (one rule covers them)."""
    found = {route.key: route for route in _walk(get_resolver())}
    return [r for r in found.values() if r.namespace.split(":")[0] != ADMIN_NAMESPACE]


ROUTES = routes()


def test_every_route_has_a_rule_and_every_rule_a_route():
    keys = {route.key for route in ROUTES}
    missing = sorted(keys - RULES.keys())
    stale = sorted(RULES.keys() - keys)
    assert not missing, (
        f"Routes without an access rule in tests/security/access_rules.py: {missing}. Say who "
        "may use each one (and give its URL arguments)."
    )
    assert not stale, f"Access rules for routes that no longer exist: {stale}"


def test_the_admin_namespace_is_sampled():
    names = {route.key for route in _walk(get_resolver())}
    assert {name for name, _args in ADMIN_SAMPLE} <= names


# ---------------------------------------------------------------------------------------------
# The world, the personas' sessions, and the database's own count of rows written


@dataclass
class World:
    values: dict[str, Any]
    sessions: dict[str, str]
    token: str


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The demo center and the objects of the rules, built once for the module; each test
    runs in a savepoint inside this transaction, which is rolled back at the end."""
    from rest_framework.authtoken.models import Token

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=StringIO())
        values = access_world.build()
        sessions = {}
        for persona, username in USERNAMES.items():
            if username and persona != SYSTEM:
                client = Client()
                client.force_login(access_world.person(username))
                sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
        token = Token.objects.get(user__username=USERNAMES[SYSTEM]).key
        yield World(values, sessions, token)
        transaction.set_rollback(True)


def rows_written() -> int:
    """Rows inserted, updated or deleted so far, as the database itself counts them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                "FROM pg_stat_xact_user_tables"
            )
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def test_the_write_count_sees_a_write(world):
    # The refusals below rely on it: a count that never moves would prove nothing.
    before = rows_written()
    with transaction.atomic():
        Event.objects.filter(seq=1).update(reason="x")
        transaction.set_rollback(True)
    assert rows_written() > before


# ---------------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True)
class Answer:
    persona: str
    method: str
    url: str
    status: int
    location: str
    content_type: str
    body: str
    written: int
    events: int

    def __str__(self) -> str:
        where = f" → {self.location}" if self.location else ""
        return f"{self.persona} {self.method} {self.url}: {self.status}{where}"


def _url(world: World, name: str, args: tuple[str, ...], query: str = "") -> str:
    if name.startswith("/"):
        # An unnamed route: its own path where it is a plain one, a sample address otherwise.
        url = "/api/v1/khong-co-dia-chi-nay/" if "^" in name else name
    else:
        url = reverse(name, args=[world.values[arg] for arg in args])
    return f"{url}?{query}" if query else url


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


def _has_files(body: dict[str, Any]) -> bool:
    return any(hasattr(value, "read") for value in body.values())


def ask(
    world: World,
    persona: str,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """One request as `persona`, in a savepoint rolled back afterwards."""
    sent = dict(headers or {})
    if persona == SYSTEM:
        sent["Authorization"] = f"Token {world.token}"
    client = Client(headers=sent)
    if persona in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    with transaction.atomic():
        written, events = rows_written(), Event.objects.count()
        response = _send(client, method, url, body or {})
        answer = Answer(
            persona=persona,
            method=method,
            url=url,
            status=response.status_code,
            location=response.get("Location", ""),
            content_type=response.get("Content-Type", ""),
            body=_text(response),
            written=rows_written() - written,
            events=Event.objects.count() - events,
        )
        transaction.set_rollback(True)
    return answer


def _send(client: Client, method: str, url: str, body: dict[str, Any]) -> HttpResponseBase:
    if method == "GET":
        return client.get(url)
    if _is_api(url) and not _has_files(body):
        return client.post(url, body, content_type="application/json")
    return client.post(url, body)


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _to_login(answer: Answer) -> bool:
    sign_in = {reverse("backoffice:login"), reverse("portal:login"), reverse("admin:login")}
    return 300 <= answer.status < 400 and urlsplit(answer.location).path in sign_in


def let_through(answer: Answer, rule: Rule) -> bool:
    if answer.status in rule.probe_status:
        return True
    return 200 <= answer.status < 300 or (300 <= answer.status < 400 and not _to_login(answer))


def refused(answer: Answer, *, admin: bool = False) -> bool:
    """Refused as the persona should be, with nothing written. The admin sends whoever is not
    staff to its sign-in page, signed in or not."""
    if answer.written or answer.events:
        return False
    if _is_api(answer.url):
        return answer.status in {401, 403, 404} and "problem+json" in answer.content_type
    if answer.persona in (ANON, SYSTEM) or admin:
        return _to_login(answer)
    return answer.status in {403, 404}


# ---------------------------------------------------------------------------------------------
# The matrix


def _probe(rule: Rule, group: frozenset[str]) -> str | None:
    if rule.probe is not None:
        return rule.probe
    return next((persona for persona in PERSONAS if persona in group), None)


def check(world: World, name: str, rule: Rule) -> list[str]:
    """Every way `rule` is broken for the route `name`, as lines for the failure message."""
    values = world.values
    url = _url(world, name, rule.args, rule.query(values) if rule.query else "")
    problems = _allowed_problems(world, url, rule)
    admin = name.startswith(f"{ADMIN_NAMESPACE}:")
    for persona in PERSONAS:
        methods = []
        if rule.get and persona not in rule.allowed | rule.hidden.keys():
            methods.append("GET")
        if rule.post is not None and persona not in rule.posters:
            methods.append("POST")
        for method in methods:
            body = rule.post(values) if method == "POST" and rule.post else None
            answer = ask(world, persona, method, url, body, rule.headers)
            if not refused(answer, admin=admin):
                written = f" ({answer.written} rows, {answer.events} events written)"
                problems.append(f"not refused: {answer}{written if answer.written else ''}")
    for persona, markers in rule.hidden.items():
        answer = ask(world, persona, "GET", url)
        shown = [m for m in markers if str(values[m]) in answer.body]
        if shown and not refused(answer):
            problems.append(f"shows {shown} ({[values[m] for m in shown]}): {answer}")
    return problems


def _allowed_problems(world: World, url: str, rule: Rule) -> list[str]:
    """The allowed persona's GET (and POST) must get through; on a list with hidden objects,
    the allowed persona must see them, or their absence elsewhere would prove nothing."""
    problems = []
    if rule.get and (persona := _probe(rule, rule.allowed)):
        answer = ask(world, persona, "GET", url)
        if not let_through(answer, rule):
            problems.append(f"allowed but not let through: {answer}")
        markers = {m for hidden in rule.hidden.values() for m in hidden}
        unseen = sorted(m for m in markers if str(world.values[m]) not in answer.body)
        if unseen:
            problems.append(f"the allowed {answer} does not show {unseen} either")
    if rule.post is not None and rule.probe_post and (persona := _probe(rule, rule.posters)):
        answer = ask(world, persona, "POST", url, rule.post(world.values), rule.headers)
        if not let_through(answer, rule):
            problems.append(f"allowed but not let through: {answer} {answer.body[:300]!r}")
    return problems


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.key)
def test_only_the_allowed_personas_get_through(world, route):
    rule = RULES.get(route.key)
    if rule is None:
        pytest.fail(f"No access rule for the route {route.key!r} in access_rules.py")
    problems = check(world, route.key, rule)
    assert not problems, f"{route.key}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(("name", "args"), ADMIN_SAMPLE, ids=[n for n, _a in ADMIN_SAMPLE])
def test_the_admin_is_for_staff_only(world, name, args):
    problems = check(world, name, Rule(allowed=ADMIN_RULE.allowed, args=args))
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_another_units_figures_are_refused_or_left_out(world, variant):
    name, rule = VARIANTS[variant]
    problems = check(world, name, rule)
    assert not problems, f"{variant} ({name}):\n  " + "\n  ".join(problems)
