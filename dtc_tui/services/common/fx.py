"""Totals across currencies: converted to the store currency with dated rates, or shown per
currency with a warning, never added up raw.

Rates come from the ``fx_rate`` table (``date, base, quote, rate``: 1 base = rate quote). An
amount of day D in currency C is converted to the store currency S with the rate of D, or the
latest one before D: C->S as written, else S->C inverted, else through one currency both have a
rate with (C->X->S, each leg dated on or before D). No rate on or before D means the amount
cannot be converted: the caller then shows the totals per currency (``money.format_totals``)
with ``Conversion.warning`` instead of one number.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from dtc_tui.models import Campaign, FxRate, StoreOrder
from dtc_tui.models.base import table_of
from dtc_tui.services.common import settings
from dtc_tui.services.common.money import format_money, format_totals, per_currency

FALLBACK_CURRENCY = "USD"  # a database without orders, campaigns or a setting


def store_currency(session: Session) -> str:
    """The store's currency: the ``orders.store_currency`` setting, else the currency most orders
    are in, else the one most campaigns report in, else USD."""
    chosen = str(settings.get(session, "orders.store_currency") or "").strip().upper()
    if chosen:
        return chosen
    for column in (col(StoreOrder.currency), col(Campaign.currency)):
        query = select(column).group_by(column).order_by(func.count().desc(), column).limit(1)
        found = session.execute(query).scalar()
        if found:
            return str(found).upper()
    return FALLBACK_CURRENCY


class Rates:
    """Every stored rate, by currency pair, oldest first (the table is small: a rate a day)."""

    def __init__(self, rows: Iterable[tuple[date, str, str, float]] = ()) -> None:
        self._pairs: dict[tuple[str, str], tuple[list[date], list[float]]] = {}
        for day, base, quote, rate in sorted(rows):
            if not rate or rate <= 0:
                continue
            days, rates = self._pairs.setdefault((base.upper(), quote.upper()), ([], []))
            days.append(day)
            rates.append(float(rate))
        self._currencies = {code for pair in self._pairs for code in pair}

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def _direct(self, base: str, quote: str, day: date) -> tuple[float, date] | None:
        for (a, b), invert in (((base, quote), False), ((quote, base), True)):
            found = self._pairs.get((a, b))
            if found is None:
                continue
            days, rates = found
            index = bisect.bisect_right(days, day) - 1
            if index >= 0:
                return (1 / rates[index] if invert else rates[index]), days[index]
        return None

    def rate(self, base: str, quote: str, day: date) -> tuple[float, date] | None:
        """(rate, the date of the rate used) to turn ``base`` into ``quote`` on ``day``; None if none."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return 1.0, day
        direct = self._direct(base, quote, day)
        if direct is not None:
            return direct
        for middle in sorted(self._currencies - {base, quote}):
            first, second = self._direct(base, middle, day), self._direct(middle, quote, day)
            if first is not None and second is not None:
                return first[0] * second[0], min(first[1], second[1])
        return None


def load_rates(session: Session) -> Rates:
    table = table_of(FxRate)
    return Rates(session.execute(select(table.c.date, table.c.base, table.c.quote, table.c.rate)).all())


@dataclass
class Conversion:
    """Amounts (each with its currency and day) turned into ``currency``, or why they could not be."""

    currency: str  # the store currency everything is converted to
    by_currency: dict[str, float] = field(default_factory=dict)  # the raw amounts per currency
    total: float = 0.0  # in ``currency``; meaningful only when ``complete``
    missing: dict[str, list[date]] = field(default_factory=dict)  # currency -> days without a rate
    rate_days: dict[str, tuple[date, date]] = field(default_factory=dict)  # currency -> first, last rate used

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def converted(self) -> bool:
        """Some amount was in another currency and every one of them had a rate."""
        return self.complete and any(code != self.currency for code in self.by_currency)

    @property
    def mixed(self) -> bool:
        return len(self.by_currency) > 1 or any(code != self.currency for code in self.by_currency)

    def value(self) -> float | None:
        """The total in the store currency; None when an amount had no rate (show per currency)."""
        return self.total if self.complete else None

    def text(self, decimals: int = 0) -> str:
        """``£1,234`` (converted or not), or ``$1,200 + ₹55,500`` when a rate is missing."""
        if self.complete:
            return format_money(self.total, self.currency, decimals)
        return format_totals(per_currency(self.by_currency.items()), decimals)

    @property
    def note(self) -> str | None:
        """``converted to GBP at fx rates of 2026-11-01..2026-11-30 (USD, INR)``."""
        if not self.converted or not self.rate_days:
            return None
        first = min(start for start, _ in self.rate_days.values())
        last = max(end for _, end in self.rate_days.values())
        when = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        codes = ", ".join(sorted(self.rate_days))
        return f"converted to {self.currency} at fx rates of {when} ({codes} -> {self.currency})"

    @property
    def warning(self) -> str | None:
        if self.complete:
            return None
        parts = []
        for code, days in sorted(self.missing.items()):
            first = min(days)
            parts.append(f"{code}->{self.currency} on or before {first.isoformat()} ({len(set(days))} days)")
        return (
            f"no fx rate for {'; '.join(parts)}: totals shown per currency "
            f"({', '.join(sorted(set(self.by_currency) | {self.currency}))}), never added up; import rates with "
            "'dtc-tui import fx-rates FILE' (date,base,quote,rate)"
        )

    def merge(self, other: Conversion) -> Conversion:
        """Both conversions together (same store currency)."""
        out = Conversion(self.currency, dict(self.by_currency), self.total + other.total)
        for code, amount in other.by_currency.items():
            out.by_currency[code] = out.by_currency.get(code, 0.0) + amount
        for source in (self, other):
            for code, days in source.missing.items():
                out.missing.setdefault(code, []).extend(days)
            for code, (start, end) in source.rate_days.items():
                old = out.rate_days.get(code)
                out.rate_days[code] = (min(start, old[0]), max(end, old[1])) if old else (start, end)
        return out


def convert(amounts: Iterable[tuple[date, str, float]], currency: str, rates: Rates) -> Conversion:
    """Each (day, currency, amount) converted to ``currency`` with the rate of its day."""
    out = Conversion(currency)
    for day, code, amount in amounts:
        code = (code or currency).upper()
        out.by_currency[code] = out.by_currency.get(code, 0.0) + amount
        if code == currency:
            out.total += amount
            continue
        if not amount:
            continue
        found = rates.rate(code, currency, day)
        if found is None:
            out.missing.setdefault(code, []).append(day)
            continue
        rate, rate_day = found
        out.total += amount * rate
        old = out.rate_days.get(code)
        out.rate_days[code] = (min(rate_day, old[0]), max(rate_day, old[1])) if old else (rate_day, rate_day)
    return out
