"""The answers every operation shares, added to the OpenAPI schema so that it is honest.

Each API class lists the problems its own logic gives (a 404, a 409). These come from the layers
around it, for every operation alike: content negotiation (406), the body's media type (415),
the credentials (401, with `WWW-Authenticate`) and a database that cannot be reached (503, with
`Retry-After`, from `core.unavailable`). The schema fuzzing test holds the schema to them.
"""

from __future__ import annotations

from typing import Any

from motcua.api.serializers import PROBLEM_DESCRIPTIONS
from motcua.core.errors import PROBLEM_CONTENT_TYPE

PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
# The shared responses, once under components/responses, referred to by each operation.
NAMES = {
    401: "NotAuthenticated",
    406: "NotAcceptable",
    415: "UnsupportedMediaType",
    503: "DatabaseUnavailable",
}
HEADERS = {
    401: {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": "The scheme to authenticate with: Token.",
        }
    },
    503: {
        "Retry-After": {
            "schema": {"type": "integer"},
            "description": "Seconds to wait before trying again.",
        }
    },
}


def document_shared_problems(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the shared problems on every operation."""
    shared = result.setdefault("components", {}).setdefault("responses", {})
    for status, name in NAMES.items():
        shared[name] = _problem(status)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation["responses"]
            for status in _shared_statuses(operation):
                # The shared 401 replaces an operation's own: it adds WWW-Authenticate.
                if status in NAMES:
                    responses[str(status)] = {"$ref": f"#/components/responses/{NAMES[status]}"}
                else:
                    responses.setdefault(str(status), _problem(status))
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _shared_statuses(operation: dict[str, Any]) -> list[int]:
    statuses = [406, 503]
    if "requestBody" in operation:
        statuses += [400, 415]
    # `security: [{}]` (an empty alternative) means no credentials are needed.
    if {} not in operation.get("security", [{}]):
        statuses.append(401)
    return statuses


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "content": {PROBLEM_CONTENT_TYPE: PROBLEM},
        "description": PROBLEM_DESCRIPTIONS[status],
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response
