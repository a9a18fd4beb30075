"""The audit log and the change counters that keep several app instances in sync."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from dtc_tui.i18n import N_
from dtc_tui.models import AuditLog, ChangeCounter
from dtc_tui.models.base import table_of
from dtc_tui.services.common import periods
from dtc_tui.services.common.filters import FilterField, FilterLanguage, ParsedFilter, choices

AREAS = ("tickets", "inventory", "ads", "team", "setting")
ENTITY_AREA = {
    "ticket": "tickets",
    "sla_policy": "tickets",
    "customer": "tickets",
    "macro": "tickets",
    "sku": "inventory",
    "stock_level": "inventory",
    "purchase_order": "inventory",
    "stock_transfer": "inventory",
    "supplier": "inventory",
    "warehouse": "inventory",
    "campaign": "ads",
    "ad_stat": "ads",
    "peak_period": "ads",
    "person": "team",
    "duty": "team",
    "assignment": "team",
    "routing_rule": "team",
    "setting": "setting",
    "overview_item": "overview",
}


# The audit screen's filter box (and ``audit --filter``), in the shared filter language.
AUDIT_FILTER = FilterLanguage(
    "changes",
    [
        FilterField("actor", ("who", "actor"), hint=N_("an operator")),
        FilterField("entity", ("entity", "record"), choices(ENTITY_AREA), label="record kind"),
        FilterField("entity_id", ("id",), case="upper", hint=N_("a record id (ticket number, SKU code...)")),
        FilterField("action", ("action",), hint=N_("create, update, delete...")),
        FilterField("since", ("since",), hint=f"a time or period: {periods.SYNTAX}"),
    ],
    text_hint=N_("every word in the record id, the action or the change"),
)


def _filter_conditions(log_filter: ParsedFilter, now: datetime) -> list[Any]:
    """SQL conditions for a parsed ``AUDIT_FILTER``; ``since:`` is read against ``now``."""
    conds: list[Any] = []
    for key in log_filter.fields():
        wanted, unwanted = log_filter.include(key), log_filter.exclude(key)
        if key == "since":
            # since:2h keeps changes from then on (the earliest of several); -since:2h the ones before
            if wanted:
                conds.append(col(AuditLog.at) >= min(periods.parse_moment(v, now) for v in wanted))
            if unwanted:
                conds.append(col(AuditLog.at) < max(periods.parse_moment(v, now) for v in unwanted))
            continue
        column = col(getattr(AuditLog, key))
        # Ids are compared without case (SKU codes are upper case, ticket ids digits), actors as typed lower.
        value_of = func.upper(column) if key == "entity_id" else func.lower(column) if key == "actor" else column
        if wanted:
            conds.append(value_of.in_(wanted))
        if unwanted:
            conds.append(value_of.not_in(unwanted))
    for word in log_filter.words:
        like = f"%{word}%"
        conds.append(
            or_(
                func.lower(col(AuditLog.entity_id)).like(like),
                func.lower(col(AuditLog.action)).like(like),
                func.lower(func.coalesce(col(AuditLog.before), "")).like(like),
                func.lower(func.coalesce(col(AuditLog.after), "")).like(like),
            )
        )
    return conds


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=_default, sort_keys=True, ensure_ascii=False)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def bump(session: Session, area: str, by: int = 1) -> None:
    """Tell other instances that ``area`` changed (one cheap row to poll); ``by``: that many changes
    at once (a batch writer's one bump leaves the counter where one bump per change would).

    An upsert, so two first writers of a fresh database cannot both insert the row (PostgreSQL
    does not serialise them the way SQLite's BEGIN IMMEDIATE does).
    """
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        session.execute(_bump_upsert(dialect, area, by))
        return
    table = table_of(ChangeCounter)
    result = session.exec(update(table).where(table.c.area == area).values(counter=table.c.counter + by))
    if result.rowcount == 0:
        session.add(ChangeCounter(area=area, counter=by))
        session.flush()


@lru_cache(maxsize=256)
def _bump_upsert(dialect: str, area: str, by: int) -> Any:
    """The upsert, built once per area: building it cost more than running it (every change bumps)."""
    table = table_of(ChangeCounter)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        sqlite_stmt = sqlite_insert(table).values(area=area, counter=by)
        return sqlite_stmt.on_conflict_do_update(index_elements=[table.c.area], set_={"counter": table.c.counter + by})
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    pg_stmt = postgresql_insert(table).values(area=area, counter=by)
    return pg_stmt.on_conflict_do_update(index_elements=[table.c.area], set_={"counter": table.c.counter + by})


def record(
    session: Session,
    *,
    actor: str,
    now: datetime,
    entity: str,
    entity_id: Any,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            at=now,
            actor=actor,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            before=_json(before),
            after=_json(after),
        )
    )
    bump(session, ENTITY_AREA.get(entity, entity))


def entry_row(
    *,
    actor: str,
    now: datetime,
    entity: str,
    entity_id: Any,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit row as plain values, for bulk writers (imports); ``record`` is the one-row path."""
    return {
        "at": now,
        "actor": actor,
        "entity": entity,
        "entity_id": str(entity_id),
        "action": action,
        "before": _json(before),
        "after": _json(after),
    }


def counters(session: Session) -> dict[str, int]:
    return {row.area: row.counter for row in session.exec(select(ChangeCounter))}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def entry_of(row: AuditLog) -> AuditEntry:
    """One audit row as the dataclass every reader gets (before/after decoded from JSON)."""
    return AuditEntry(
        row.id or 0,
        row.at,
        row.actor,
        row.entity,
        row.entity_id,
        row.action,
        json.loads(row.before) if row.before else None,
        json.loads(row.after) if row.after else None,
    )


def entries(
    session: Session,
    *,
    since: datetime | None = None,
    log_filter: ParsedFilter | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """The newest ``limit`` changes since ``since`` that pass ``log_filter`` (``since:`` read against ``now``)."""
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
    if since is not None:
        query = query.where(col(AuditLog.at) >= since)
    if log_filter is not None and not log_filter.empty:
        if now is None:
            raise ValueError("a filter needs now (since: is relative)")
        query = query.where(*_filter_conditions(log_filter, now))
    return [entry_of(row) for row in session.exec(query)]


class AuditSource:
    """The audit log as a windowed source for the app's audit view (newest first)."""

    def __init__(self, engine: Any, log_filter: ParsedFilter | None = None, *, now: datetime | None = None) -> None:
        self.engine = engine
        self.conditions = _filter_conditions(log_filter, now) if log_filter and now else []
        if log_filter and not log_filter.empty and now is None:
            raise ValueError("a filter needs now (since: is relative)")

    def _where(self, query: Any) -> Any:
        return query.where(*self.conditions) if self.conditions else query

    def count(self) -> int:
        from dtc_tui import db

        with db.read_session(self.engine) as session:
            return int(session.execute(self._where(select(func.count()).select_from(AuditLog))).scalar_one())

    def fetch(self, offset: int, limit: int) -> list[AuditEntry]:
        from dtc_tui import db

        query = self._where(select(AuditLog)).order_by(col(AuditLog.id).desc()).offset(offset).limit(limit)
        with db.read_session(self.engine) as session:
            return [entry_of(row) for row in session.exec(query)]

    def key_of(self, row: AuditEntry) -> int:
        return row.id


def describe_change(entry: AuditEntry) -> str:
    """'priority: normal -> urgent, tags: '' -> vip' for one audit entry."""
    after = entry.after or {}
    before = entry.before or {}
    keys = list(dict.fromkeys([*before, *after]))
    return ", ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in keys)


# --- one entry in full: names for ids, the fields the operator changed before the derived ones -----

# Fields a change recomputes rather than sets: shown after what the operator changed.
DERIVED_FIELDS = frozenset(
    {
        "is_open",
        "solved_at",
        "paused_since",
        "paused_minutes",
        "policy_id",
        "escalated_at",
        "awaiting_since",
        "next_due_at",
        "next_due_metric",
        "next_risk_at",
        "due_sort_at",
        "version",
        "updated_at",
        "updated_by",
    }
)
# id fields and the (model, column) whose value names them.
_NAMED_IDS: dict[str, tuple[str, str]] = {
    "assignee_id": ("Person", "handle"),
    "escalated_to_id": ("Person", "handle"),
    "person_id": ("Person", "handle"),
    "policy_id": ("SlaPolicy", "name"),
    "sku_id": ("Sku", "code"),
    "warehouse_id": ("Warehouse", "code"),
    "from_warehouse_id": ("Warehouse", "code"),
    "to_warehouse_id": ("Warehouse", "code"),
    "supplier_id": ("Supplier", "name"),
    "campaign_id": ("Campaign", "name"),
    "duty_id": ("Duty", "name"),
    "customer_id": ("Customer", "name"),
    "channel_id": ("AdChannel", "code"),
}


@dataclass(frozen=True)
class FieldChange:
    field: str  # "assignee" for assignee_id: the name the value is shown by
    before: str
    after: str
    derived: bool  # recomputed by the change, not set by the operator


@dataclass(frozen=True)
class EntryDetail:
    entry: AuditEntry
    changes: list[FieldChange]


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if value == "":
        return "''"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def entry_detail(session: Session, entry_id: int) -> EntryDetail | None:
    """One audit row in full: every field before and after, ids shown as names ("ana (person 3)"),
    the fields the operator changed first and the ones the change recomputed after them."""
    import dtc_tui.models as models

    row = session.get(AuditLog, entry_id)
    if row is None:
        return None
    entry = entry_of(row)
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict):
        before = {"value": before}
    if not isinstance(after, dict):
        after = {"value": after}
    names: dict[tuple[str, Any], str] = {}

    def named(key: str, value: Any) -> str:
        spec = _NAMED_IDS.get(key)
        if spec is None or value is None or not isinstance(value, int):
            return _shown(value)
        if (key, value) not in names:
            model = getattr(models, spec[0])
            found = session.get(model, value)
            label = str(getattr(found, spec[1])) if found is not None else "deleted"
            names[(key, value)] = f"{label} ({spec[0].lower()} {value})"
        return names[(key, value)]

    changes = []
    for key in dict.fromkeys([*before, *after]):
        shown_as = key.removesuffix("_id") if key in _NAMED_IDS else key
        changes.append(
            FieldChange(shown_as, named(key, before.get(key)), named(key, after.get(key)), key in DERIVED_FIELDS)
        )
    changes.sort(key=lambda c: c.derived)  # stable: the operator's fields first, in their order
    return EntryDetail(entry, changes)
