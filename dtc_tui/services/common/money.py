"""Money shown with its own currency, and totals that never add one currency to another.

Every amount is stored in the currency it was earned or spent in (a campaign's, an order's,
the store's); ``format_money`` writes it with that currency's symbol or code (Babel's CLDR
data: ``£1,234``, ``₹56,700``, ``CA$12``). ``per_currency`` adds amounts per currency; a
total over several currencies is shown per currency (``USD 1,200 + INR 55,500``) with a
warning, never as one number.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from babel.numbers import format_currency, get_currency_symbol

from dtc_tui.i18n import _

DASH = "-"
# Symbols as the English exports write them, in every language: CLDR's Chinese ``US$`` is three
# cells wider than ``$`` and cut the ads table's amounts at 80 columns (``US$46,2…``); the amount
# always keeps its own currency, and a store with several shows each with its own symbol.
LOCALE = "en_US"


@lru_cache(maxsize=64)
def _pattern(decimals: int) -> str:
    return "¤#,##0" + ("." + "0" * decimals if decimals else "")


def format_money(amount: float | None, currency: str, decimals: int = 0) -> str:
    """``1234.6, "GBP"`` -> ``£1,235``; an unknown code is written before the number."""
    if amount is None:
        return DASH
    return format_currency(amount, currency.upper(), format=_pattern(decimals), locale=LOCALE, currency_digits=False)


def symbol(currency: str) -> str:
    return get_currency_symbol(currency.upper(), locale=LOCALE)


def short_money(amount: float | None, currency: str | None) -> str:
    """A compact amount for narrow cells and chart axes: ``£46,206``, ``₹138k``, ``CA$15.3M``;
    ``mixed`` without one currency (several and no fx rate)."""
    if amount is None:
        return DASH
    if currency is None:
        return _("mixed")
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    mark = symbol(currency)
    mark = mark if len(mark) <= 3 else currency.upper() + " "
    if value >= 10_000_000:
        return f"{sign}{mark}{value / 1_000_000:.1f}M"
    if value >= 100_000:
        return f"{sign}{mark}{value / 1000:,.0f}k"
    return f"{sign}{mark}{value:,.0f}"


def per_currency(amounts: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Amounts added per currency, largest first."""
    totals: dict[str, float] = {}
    for currency, amount in amounts:
        totals[currency] = totals.get(currency, 0.0) + amount
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def format_totals(totals: dict[str, float], decimals: int = 0) -> str:
    """``{"USD": 1200, "INR": 55500}`` -> ``$1,200 + ₹55,500`` (one currency: just the amount)."""
    if not totals:
        return DASH
    return " + ".join(format_money(amount, currency, decimals) for currency, amount in totals.items())
