from django import template

from weloop.core.money import format_fen

register = template.Library()


@register.filter
def fen(value: int | None) -> str:
    """Show an amount of fen as yuan: ``{{ order.total_fen|fen }}`` -> ¥12.30."""
    return "" if value is None else format_fen(int(value))
