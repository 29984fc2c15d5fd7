from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def dong(amount: int | None) -> str:
    """Money as citizens read it: dots between thousands and the word đồng, "30.000 đồng"."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " đồng"
