"""The two minimal endpoints: plain Django, no DRF, as lean as the framework allows.

They go through the same server, settings and middleware as the product, so the ratio
product / minimal measures what the product adds on top of Django itself.
"""

import json
import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from benchsite.models import BenchItem, BenchRow


@csrf_exempt
@require_GET
def minimal_lookup(request: HttpRequest, code: str) -> HttpResponse:
    """One indexed select by a unique code."""
    row = BenchItem.objects.filter(code=code).values_list("code", "name", "state").first()
    if row is None:
        return JsonResponse({"detail": "not found"}, status=404)
    return JsonResponse({"code": row[0], "name": row[1], "state": row[2]})


@csrf_exempt
@require_POST
def minimal_insert(request: HttpRequest) -> HttpResponse:
    """One transaction with four INSERT statements."""
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"detail": "invalid JSON"}, status=400)
    text = str(payload.get("text", ""))[:200]
    batch = uuid.uuid4().hex
    with transaction.atomic():
        for position in range(4):
            BenchRow.objects.create(batch=batch, position=position, payload=text)
    return JsonResponse({"batch": batch}, status=201)
