"""Overview items acknowledged (with a note) or snoozed until a time, so the list closes the loop.

An item is hidden while the row written for it still matches: same ``item_key`` (its kind and what
it points at), same **fingerprint** (a hash of the numbers the item shows: units available, days
late, spend, counts... not a live timer), and for a snooze, ``until`` still ahead. When the numbers
change (more tickets breached, stock fell further, the PO is later still) the item comes back, and
says why. Who it is hidden for is the setting ``overview.ack_scope``: ``operator`` (only the one who
acknowledged it) or ``team`` (everyone; rows with ``operator = ""``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, or_, select
from sqlmodel import Session, col

from dtc_tui import db
from dtc_tui.errors import InvalidInput, NotFound
from dtc_tui.i18n import _
from dtc_tui.models import OverviewAck
from dtc_tui.services.common import audit, periods, settings
from dtc_tui.services.common.text import one_line

if TYPE_CHECKING:
    from dtc_tui.services.overview.summary import Item, Overview

SCOPES = ("operator", "team")
_TIMER = re.compile(r"\s*\(-?(?:\d+d)?(?:\d+h)?(?:\d+m)?\)")  # "(-1d3h)": a ticket's live time left/over
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Hidden:
    """An item the operator does not see now, and why (for the "acknowledged" list, key H)."""

    item: Item
    kind: str  # ack | snooze
    by: str
    note: str
    until: datetime | None
    team: bool


def item_key(item: Item) -> str:
    """What the item is about, stable while its numbers change: kind plus the record it points at."""
    if item.title.startswith("... and "):
        return f"{item.kind}:more"
    target = item.target
    if target is None:
        return f"{item.kind}:{one_line(item.title, 200)}"
    fields = ",".join(f"{k}={v}" for k, v in vars(target).items() if v is not None)
    return f"{item.kind}:{type(target).__name__}:{fields}"[:300]


def fingerprint(item: Item) -> str:
    """A hash of the numbers the item shows (a ticket's live timer left out: it moves every minute)."""
    title = _TIMER.sub("", item.title) if item.kind.startswith("ticket_") else item.title
    numbers = _NUMBER.findall(f"{title} {item.detail}")
    words = title if item.kind.startswith("ticket_") else ""  # a ticket's clock: first response -> resolution
    return hashlib.sha256(f"{words}|{' '.join(numbers)}".encode()).hexdigest()[:32]


def scope(session: Session) -> str:
    value = str(settings.get(session, "overview.ack_scope"))
    return value if value in SCOPES else "operator"


def until_from_text(text: str, now: datetime) -> datetime:
    """When a snooze ends, in the period language: a duration counts from now (``2h``: in two hours),
    a moment or a day is that time (``2026-11-21T09:00``, ``2026-11-21`` at midnight UTC)."""
    value = text.strip()
    if not value:
        raise InvalidInput(_("snooze until when? e.g. 2h, 1d, 2026-11-21T09:00 ({docs})").format(docs=periods.DOCS))
    try:
        return now + periods.parse_duration(value)
    except periods.PeriodError:
        pass
    moment = periods.parse_moment(value, now)
    if moment <= now:
        raise InvalidInput(
            _("{value!r} is not in the future; snooze until e.g. 2h, 1d or 2026-11-21T09:00").format(value=value)
        )
    return moment


def _write(
    engine: Engine, item: Item, *, operator: str, now: datetime, kind: str, note: str, until: datetime | None
) -> str:
    with db.write_session(engine) as session:
        team = scope(session) == "team"
        owner = "" if team else operator
        key = item_key(item)
        row = session.execute(
            select(OverviewAck).where(col(OverviewAck.item_key) == key, col(OverviewAck.operator) == owner)
        ).scalar_one_or_none()
        before = {"kind": row.kind, "note": row.note, "until": row.until} if row else None
        if row is None:
            row = OverviewAck(
                item_key=key, operator=owner, kind=kind, fingerprint="", created_by=operator, created_at=now
            )
        row.kind, row.note, row.until = kind, one_line(note, 500), until
        row.fingerprint, row.title = fingerprint(item), one_line(item.title, 300)
        row.created_by, row.created_at = operator, now
        session.add(row)
        audit.record(
            session,
            actor=operator,
            now=now,
            entity="overview_item",
            entity_id=key[:100],
            action="acknowledge" if kind == "ack" else "snooze",
            before=before,
            after={"kind": kind, "note": row.note, "until": until, "for": "team" if team else operator},
        )
        return "the team" if team else "you"


def acknowledge(engine: Engine, item: Item, *, operator: str, now: datetime, note: str = "") -> str:
    """Hide ``item`` until its numbers change; returns who it is hidden for ("you" / "the team")."""
    return _write(engine, item, operator=operator, now=now, kind="ack", note=note, until=None)


def snooze(engine: Engine, item: Item, *, operator: str, now: datetime, until: str, note: str = "") -> datetime:
    """Hide ``item`` until the time ``until`` (period language) or until its numbers change."""
    end = until_from_text(until, now)
    _write(engine, item, operator=operator, now=now, kind="snooze", note=note, until=end)
    return end


def restore(engine: Engine, item: Item, *, operator: str, now: datetime) -> None:
    """Show a hidden item again (this operator's row and, if the scope is the team, the team's)."""
    with db.write_session(engine) as session:
        key = item_key(item)
        owners = ["", operator] if scope(session) == "team" else [operator]
        rows = (
            session.execute(
                select(OverviewAck).where(col(OverviewAck.item_key) == key, col(OverviewAck.operator).in_(owners))
            )
            .scalars()
            .all()
        )
        if not rows:
            raise NotFound(_("this item is not acknowledged or snoozed"))
        session.execute(
            delete(OverviewAck).where(col(OverviewAck.item_key) == key, col(OverviewAck.operator).in_(owners))
        )
        audit.record(
            session,
            actor=operator,
            now=now,
            entity="overview_item",
            entity_id=key[:100],
            action="restore",
            before={"kind": rows[0].kind, "note": rows[0].note},
        )


def apply(engine: Engine, overview: Overview, *, operator: str, now: datetime) -> Overview:
    """The overview as ``operator`` sees it: acknowledged and snoozed items moved to ``hidden``; an
    item whose numbers changed since (or whose snooze ended) shows again, saying so in its detail."""
    with db.read_session(engine) as session:
        rows = (
            session.execute(
                select(OverviewAck).where(or_(col(OverviewAck.operator) == operator, col(OverviewAck.operator) == ""))
            )
            .scalars()
            .all()
        )
    by_key: dict[str, list[OverviewAck]] = {}
    for row in rows:
        by_key.setdefault(row.item_key, []).append(row)
    shown: list[Item] = []
    hidden: list[Hidden] = []
    for item in overview.items:
        found = by_key.get(item_key(item), [])
        current = [r for r in found if r.fingerprint == fingerprint(item) and (r.until is None or r.until > now)]
        if current:
            row = current[0]
            hidden.append(Hidden(item, row.kind, row.created_by, row.note, row.until, row.operator == ""))
            continue
        if found:  # acknowledged before, back now: say why
            row = found[0]
            changed = row.fingerprint != fingerprint(item)
            if row.kind == "ack":
                why = _("↺ back: its numbers changed since {who} acknowledged it")
            elif changed:
                why = _("↺ back: its numbers changed since {who} snoozed it")
            else:
                why = _("↺ back: the snooze ended since {who} snoozed it")
            note = f" ({row.note})" if row.note else ""
            item = replace(
                item,
                detail=f"{why.format(who=row.created_by)}{note}. {item.shown_detail()}",
                detail_msg=None,  # said in the language spoken now (what people read; JSON is English)
            )
        shown.append(item)
    return replace(overview, items=shown, hidden=hidden)
