"""The base classes of every API class: JSON in, JSON (or problem+json) out."""

from __future__ import annotations

from typing import Any, NoReturn

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView


# Authenticated by token or session (settings.REST_FRAMEWORK). No docstrings on these bases:
# the schema generator would show them as every operation's description.
class Api(APIView):
    # Without the browsable API, an error body is always the JSON its problem+json type says.
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # No code of ours contains a NUL character, and PostgreSQL refuses one in a query (a
        # 500): an address with one names nothing. Checked after the credentials, as any 404.
        if any("\x00" in str(value) for value in kwargs.values()):
            raise NotFound()


# Open to anyone: no credentials are looked up, so no session and no CSRF check either.
class PublicApi(Api):
    authentication_classes: list = []
    permission_classes = [AllowAny]


# The answer for any other address under /api/v1/: a 404 in the problem shape.
@extend_schema(exclude=True)
class NotFoundApi(PublicApi):
    def get(self, request: Request, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotFound()

    post = put = patch = delete = get
