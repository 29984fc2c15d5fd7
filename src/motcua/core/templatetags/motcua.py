from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    """Vietnamese money: dots between thousands and the đồng sign, "100.000 đ"."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " đ"
