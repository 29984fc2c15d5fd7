"""What every action on a dossier (`POST /dossiers/{code}/<action>/`) has in common.

An action class declares its body (`InputSerializer`) and calls its service in `act`; the base
checks that the caller may see the dossier, validates the body, and answers with the dossier.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from motcua.api.base import Api
from motcua.api.dossier_detail import DossierDetailApi, dossier_representation
from motcua.api.serializers import StringField, problems
from motcua.dossiers.selectors import dossier_get


class EmptyInput(serializers.Serializer):
    """No body, or an empty JSON object."""


def text(*, max_length: int = 2000, required: bool = True, **kwargs: Any) -> StringField:
    """A text field of a body. A blank one passes here: the service says what is missing, in
    its own words and with the field's name."""
    if not required:
        kwargs.setdefault("default", "")
    return StringField(max_length=max_length, allow_blank=True, required=required, **kwargs)


def step_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "Optional: the id of the step the caller is finishing (from `steps`). When that "
            "step is no longer open, the action is refused (409 step_not_open) instead of "
            "finishing the next one: send it to make a retry safe."
        ),
    )


# Authenticated by token or session (settings.REST_FRAMEWORK); no docstring (see base.Api).
class DossierActionApi(Api, ABC):
    InputSerializer: ClassVar[type[serializers.Serializer]] = EmptyInput
    # 201 when the action creates a document or a step the dossier then lists; else 200.
    creates: ClassVar[bool] = False

    def post(self, request: Request, code: str) -> Response:
        # A dossier the caller may not see is not found, as on reading it: the answer does
        # not reveal that it exists. One the caller sees but may not act on is a 403.
        dossier_get(viewer=request.user, code=code)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        self.act(request, code, data)
        status = 201 if self.creates else 200
        return Response(dossier_representation(request, code=code), status=status)

    @abstractmethod
    def act(self, request: Request, code: str, data: dict[str, Any]) -> None:
        """Call the action's service with the caller and the validated body."""


ACTION_PROBLEMS = (400, 401, 403, 404, 409)
View = TypeVar("View", bound=type[DossierActionApi])


def action_schema(
    *, operation_id: str, summary: str, description: str, component: str
) -> Callable[[View], View]:
    """The OpenAPI operation of an action: its body, and the dossier (200 or 201) in answer."""

    def decorate(view: View) -> View:
        request: Any = None
        if view.InputSerializer is not EmptyInput:
            request = extend_schema_serializer(component_name=component)(view.InputSerializer)
        status = 201 if view.creates else 200
        what = "Done; the new document or step is listed in the dossier." if view.creates else ""
        schema = extend_schema(
            operation_id=operation_id,
            tags=["dossier actions"],
            summary=summary,
            description=description,
            request=request,
            responses={
                status: OpenApiResponse(
                    DossierDetailApi.OutputSerializer, description=what or "Done."
                ),
                **problems(*ACTION_PROBLEMS),
            },
        )
        return extend_schema_view(post=schema)(view)

    return decorate
