"""The closed sets of values the database stores as text, as ``StrEnum``s.

The values are the ones already in every database and export file: a member compares equal to its
string (``TicketStatus.OPEN == "open"``), so rows, JSON and CSV stay exactly as they were. The
tuples next to the models (``STATUSES``, ``PRIORITIES``...) are derived from these.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    """Lowest first (the order the pickers show)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    """Where a support ticket came in (not an ad channel: those are rows of ``ad_channel``)."""

    EMAIL = "email"
    CHAT = "chat"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    PHONE = "phone"


class StockState(StrEnum):
    """A position's state on the reorder board, most urgent first."""

    OUT = "out"
    REORDER_NOW = "reorder_now"
    REORDER_SOON = "reorder_soon"
    OK = "ok"
    OVERSTOCK = "overstock"
    DEAD = "dead"


class AbcClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class RaciRole(StrEnum):
    RESPONSIBLE = "R"
    ACCOUNTABLE = "A"
    CONSULTED = "C"
    INFORMED = "I"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The plain strings of an enum, in declaration order."""
    return tuple(member.value for member in enum)


# The tickets' value lists (re-exported by ``models/tickets.py``), here so that the code that
# checks values (the queue's filter, SLA validation) does not load the table models.
CHANNELS = values(Channel)
PRIORITIES = values(Priority)
STATUSES = values(TicketStatus)
CATEGORIES = ("logistics", "returns", "payment", "product", "site_incident", "presales")
LANGUAGES = ("en", "de", "es", "fr", "ar")
SLA_STATES = ("ok", "at_risk", "breached", "met", "paused")
METRICS = ("first_response", "next_response", "resolution")
