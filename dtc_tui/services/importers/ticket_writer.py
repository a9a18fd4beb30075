"""Writing help-desk tickets in bulk: customers, the upsert on (source, external id), SLA, breaches.

Rules where the exports are silent:
- A requester becomes a ``customer`` keyed on ``<source>:<requester id>`` (or the e-mail
  address when there is no id). Existing customers are matched, never renamed by an import.
- The assignee is matched to a team member by name, handle or OS user (case-insensitive);
  an unknown name leaves the ticket unassigned (one warning per name). People are not created:
  the team matrix is kept by hand.
- The SLA summary of every inserted or changed ticket is computed with the same code the app
  uses (``SlaContext.apply``, policies loaded once per import); breaches that already happened
  are recorded in ``sla_breach`` with ``recorded_at`` = the import time.
- A solved ticket whose export has no first-reply time keeps its first response unknown (never
  "answered when solved"): it gets no first-response clock, so no breach is invented for it.
- A ticket's description (when the export has one) becomes its first customer message, on
  insert only.
- A re-import never undoes the team's work (three-way merge): the values each import wrote
  are kept per ticket (``import_baseline``); on the next import a field changes only where the
  file's value changed since then. Changed here and in the file: the team's value stays and
  the summary lists the conflict. Every ticket an import changes gets its own audit row.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from dtc_tui.i18n import _, ngettext
from dtc_tui.models import AuditLog, Customer, Person, SlaBreach, Ticket, TicketMessage
from dtc_tui.models.base import table_of
from dtc_tui.models.system import ImportBaseline
from dtc_tui.services.common import audit
from dtc_tui.services.importers.base import number_text
from dtc_tui.services.importers.upsert import UpsertOutcome, bulk_insert, fetch_existing, upsert
from dtc_tui.services.tickets.sla import Policy, calendar_pause_on_policy_clock, next_due
from dtc_tui.services.tickets.sla_store import SlaContext

CLOSED = frozenset({"solved", "closed"})
PAUSING = frozenset({"pending", "on_hold"})
SUMMARY_COLUMNS = ("policy_id", "next_due_at", "next_due_metric", "next_risk_at", "due_sort_at")
# The columns an import owns: a re-import compares these, and leaves the rest (escalation,
# refund status, logistics...) to the people working the ticket.
OWNED = (
    "subject",
    "channel",
    "language",
    "language_detected",
    "category",
    "priority",
    "status",
    "is_open",
    "tags",
    "customer_id",
    "assignee_id",
    "team",
    "order_ref",
    "created_at",
    "updated_at",
    "first_response_at",
    "awaiting_since",
    "last_customer_message_at",
    "last_agent_reply_at",
    "agent_replies",
    "solved_at",
    "paused_since",
    "paused_minutes",
    "csat",
)

TICKET = table_of(Ticket)
CUSTOMER = table_of(Customer)
BASELINE = table_of(ImportBaseline)
AUDIT = table_of(AuditLog)
CONFLICTS_SHOWN = 10


def plain(value: Any) -> Any:
    """A value as JSON keeps it, so a stored baseline compares equal to a fresh one."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


# --- the compact baseline ------------------------------------------------------------------------
# A ticket's baseline holds, per owned field, only what the three-way merge needs: whether a
# value equals the one the last import wrote. Short values are kept as they are, times as epoch
# seconds, texts longer than SHORT_TEXT as a checksum with their length ("#1a2b3c4d:27"). Stored as
# a JSON list ``[mask, form, form, ...]`` (mask: which OWNED fields the file carried; forms in
# OWNED order): ~170 bytes a ticket instead of ~660 for the field-named values, so a 50k-ticket
# baseline is ~2.5k pages instead of ~10k, and re-writing the changed tickets' baselines inside
# the write lock dirties a quarter of the pages. Baselines written before (a JSON object of
# plain values) are read into the same forms, and are rewritten only when their ticket changes.
SHORT_TEXT = 12
TIME_FIELDS = frozenset(
    {
        "created_at",
        "updated_at",
        "first_response_at",
        "awaiting_since",
        "last_customer_message_at",
        "last_agent_reply_at",
        "solved_at",
        "paused_since",
    }
)
_OWNED_INDEX = {name: index for index, name in enumerate(OWNED)}


def form(value: Any) -> Any:
    """The baseline form of a value: equal forms mean equal values (up to a 32-bit checksum on long texts)."""
    kind = type(value)  # exact types first: called for every owned field of every row
    if kind is str:
        return value if len(value) <= SHORT_TEXT else _digest(value)
    if value is None or kind is int or kind is bool:
        return value
    if kind is datetime or isinstance(value, datetime):
        seconds = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()
        return int(seconds) if value.microsecond == 0 else round(seconds, 6)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str):  # a StrEnum
        return form(str(value))
    return value


def _digest(text: str) -> str:
    return f"#{zlib.crc32(text.encode('utf-8', 'surrogatepass')):08x}:{len(text)}"


def encode_baseline(forms: dict[str, Any]) -> str:
    mask = 0
    values = []
    for index, name in enumerate(OWNED):
        if name in forms:
            mask |= 1 << index
            values.append(forms[name])
    return json.dumps([mask, *values], separators=(",", ":"))


def decode_baseline(text: str) -> dict[str, Any]:
    """Forms by field from a stored baseline, compact or (written before) a JSON object of plain values."""
    data = json.loads(text)
    if isinstance(data, dict):  # the older form: {"field": plain value}
        forms = {}
        for name, value in data.items():
            if name in TIME_FIELDS and isinstance(value, str):
                forms[name] = form(datetime.fromisoformat(value))
            elif name in _OWNED_INDEX:
                forms[name] = form(value)
        return forms
    mask, values = data[0], iter(data[1:])
    return {name: next(values) for index, name in enumerate(OWNED) if mask >> index & 1}


def derive_times(record: dict[str, Any]) -> dict[str, Any]:
    """The clock-driving timestamps from what an export tells (status, created, updated, first reply).

    An open ticket that was answered is taken to await the team since its last update (the
    export has no message log); a pending / on-hold ticket to be paused since then.
    """
    status = record["status"]
    created: datetime = record["created_at"]
    updated: datetime = record.get("updated_at") or created
    first: datetime | None = record.get("first_response_at")
    is_open = status not in CLOSED
    solved = record.get("solved_at")
    if is_open:
        solved = None
    elif solved is None:
        solved = updated
    awaiting = paused = None
    if status == "new" or (status == "open" and first is None):
        awaiting = created
    elif status == "open":
        awaiting = max(updated, first) if first else updated
    elif status in PAUSING:
        paused = updated
    replies = record.get("agent_replies")
    return {
        "is_open": is_open,
        "solved_at": solved,
        "updated_at": updated,
        "awaiting_since": awaiting,
        "paused_since": paused,
        "last_customer_message_at": awaiting or created,
        "last_agent_reply_at": first,
        "first_response_at": first,
        "agent_replies": replies if replies is not None else (1 if first else 0),
    }


class SlaView:
    """What ``SlaContext.apply`` reads and writes on a ticket, without building an ORM object.

    ``id`` is None so ``apply`` records no breach row by row: they are written in bulk.
    """

    __slots__ = (
        "awaiting_since",
        "breach_check_at",
        "category",
        "channel",
        "created_at",
        "customer_id",
        "due_sort_at",
        "first_response_at",
        "id",
        "next_due_at",
        "next_due_metric",
        "next_risk_at",
        "paused_minutes",
        "paused_since",
        "policy_id",
        "priority",
        "solved_at",
        "status",
    )

    # Set from the row in __init__ (values as the importer holds them).
    awaiting_since: Any
    breach_check_at: Any  # set by ``apply``
    category: Any
    channel: Any
    created_at: Any
    customer_id: Any
    due_sort_at: Any
    first_response_at: Any
    id: Any
    next_due_at: Any
    next_due_metric: Any
    next_risk_at: Any
    paused_minutes: Any
    paused_since: Any
    policy_id: Any
    priority: Any
    solved_at: Any
    status: Any

    def __init__(self, row: dict[str, Any]) -> None:
        for name in (
            "awaiting_since",
            "category",
            "channel",
            "created_at",
            "customer_id",
            "first_response_at",
            "paused_minutes",
            "paused_since",
            "policy_id",
            "priority",
            "solved_at",
            "status",
        ):
            setattr(self, name, row.get(name))
        self.paused_minutes = self.paused_minutes or 0.0
        self.id = None


class _BulkSla(SlaContext):
    """SlaContext with customer tiers filled in bulk (no query per customer)."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.tiers: dict[int, str] = {}
        self._chosen: dict[tuple[str, str, str, str], Policy | None] = {}

    def tier_of(self, customer_id: int | None) -> str:
        if customer_id is not None and customer_id in self.tiers:
            return self.tiers[customer_id]
        return super().tier_of(customer_id)

    def policy_for(self, ticket: Any, *, reselect: bool = True) -> Policy | None:
        """The same first-match selection, remembered per (priority, channel, category, tier)."""
        if not reselect:
            return super().policy_for(ticket, reselect=False)
        key = (ticket.priority, ticket.channel, ticket.category, self.tier_of(ticket.customer_id))
        if key not in self._chosen:
            self._chosen[key] = super().policy_for(ticket)
        return self._chosen[key]


class TicketWriter:
    """Mixed into the ticket importers; expects ``source_name``, ``now`` and the Importer counters."""

    plans = True  # the write pass can run planned (see importers/plan.py): every write goes through upsert
    # A big first import rebuilds these tables' secondary indexes after its rows (plan.RebuiltIndexes).
    rebuilds_indexes = ("ticket", "sla_breach", "ticket_message")

    source_name: str
    now: datetime
    inserted: int
    updated: int
    unchanged: int
    created: Counter[str]

    def prepare(self, session: Session) -> None:
        self.sla = _BulkSla(session)
        self.people: dict[str, int] = {}
        person_table = table_of(Person)
        for person in session.execute(
            select(person_table.c.id, person_table.c.name, person_table.c.handle, person_table.c.os_user)
        ):
            for name in (person.os_user, person.handle, person.name):
                if name:
                    self.people[name.strip().lower()] = person.id
        self.customer_ids: dict[tuple[str, str], tuple[int, str]] = {}
        self.unknown_assignees: Counter[str] = Counter()
        self.conflicts: list[str] = []
        self.conflict_count = 0

    def finish(self, session: Session) -> None:
        if self.conflict_count:
            shown = "; ".join(self.conflicts)
            more = (
                _("; and {count} more").format(count=number_text(self.conflict_count - len(self.conflicts)))
                if self.conflict_count > len(self.conflicts)
                else ""
            )
            self.warn(  # type: ignore[attr-defined]
                _(
                    "{count} fields changed both here and in the file since the last import; "
                    "the team's value was kept: {fields}{more}"
                ).format(count=number_text(self.conflict_count), fields=shown, more=more)
            )
        for name, count in sorted(self.unknown_assignees.items()):
            message = ngettext(
                "assignee {name!r} is not in the team ({count} ticket left unassigned)",
                "assignee {name!r} is not in the team ({count} tickets left unassigned)",
                count,
            )
            self.warn(message.format(name=name, count=number_text(count)))  # type: ignore[attr-defined]

    # --- customers -------------------------------------------------------------------------

    def _customer_key(self, record: dict[str, Any]) -> tuple[str, str] | None:
        if record.get("requester_id"):
            return ("external_id", f"{self.source_name}:{record['requester_id']}"[:64])
        if record.get("requester_email"):
            return ("email", record["requester_email"].lower())
        return None

    def _resolve_customers(self, session: Session, records: list[dict[str, Any]]) -> None:
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for record in records:
            key = self._customer_key(record)
            if key is not None and key not in self.customer_ids:
                wanted.setdefault(key, record)
        if not wanted:
            return
        self._load_customers(session, list(wanted))
        missing = [key for key in wanted if key not in self.customer_ids]
        if missing:
            rows: list[dict[str, Any]] = []
            for key in missing:
                record = wanted[key]
                email = (record.get("requester_email") or "").lower() or None
                rows.append(
                    {
                        "name": record.get("requester_name")
                        or email
                        or f"{self.source_name} user {record.get('requester_id')}",
                        "email": email,
                        "tier": "standard",
                        "tags": "",
                        "country": None,
                        "external_id": key[1] if key[0] == "external_id" else None,
                    }
                )
            bulk_insert(session, CUSTOMER, rows, ids=True)
            self.created["customer"] += len(rows)
            if all("id" in row for row in rows):  # a planned import: ids given up front, nothing to read back
                self.customer_ids.update(
                    {key: (row["id"], row["tier"]) for key, row in zip(missing, rows, strict=True)}
                )
            else:
                self._load_customers(session, missing)
        for key in wanted:
            customer_id, tier = self.customer_ids[key]
            self.sla.tiers[customer_id] = tier

    def _load_customers(self, session: Session, keys: list[tuple[str, str]]) -> None:
        for column in ("external_id", "email"):
            values = [value for kind, value in keys if kind == column]
            for start in range(0, len(values), 500):
                query = (
                    select(CUSTOMER.c.id, CUSTOMER.c[column], CUSTOMER.c.tier)
                    .where(CUSTOMER.c[column].in_(values[start : start + 500]))
                    .order_by(CUSTOMER.c.id)
                )
                for row in session.execute(query):
                    self.customer_ids.setdefault((column, row[1]), (row[0], row[2]))

    # --- tickets ---------------------------------------------------------------------------

    def write(self, session: Session, batch: list[tuple[int, dict[str, Any]]]) -> None:
        records = [record for _line, record in batch]
        self._resolve_customers(session, records)
        rows: list[dict[str, Any]] = []
        for record in records:
            key = self._customer_key(record)
            assignee_id = None
            if record.get("assignee"):
                assignee_id = self.people.get(record["assignee"].lower())
                if assignee_id is None:
                    self.unknown_assignees[record["assignee"]] += 1
            row = {name: record.get(name) for name in OWNED if name in record}
            row.update(derive_times(record))
            row.update(
                source=self.source_name,
                external_id=record["external_id"],
                customer_id=self.customer_ids[key][0] if key else None,
                assignee_id=assignee_id,
            )
            row["_description"] = record.get("description") or ""
            row["_author"] = record.get("requester_name") or record.get("requester_email") or "customer"
            rows.append(row)
        imported = {row["external_id"]: {n: form(row[n]) for n in OWNED if n in row} for row in rows}
        bases = self._baselines(session, list(imported))
        rows = self._drop_unchanged(session, rows, imported, bases)
        existing = self._merge(session, rows, bases)
        outcome = upsert(
            session,
            TICKET,
            ("source", "external_id"),
            rows,
            compare=OWNED,
            where={"source": self.source_name},
            prepare=self._apply_sla,
            insert_defaults={"version": 1},
        )
        self.inserted += len(outcome.inserted)
        self.updated += len(outcome.updated)
        self.unchanged += outcome.unchanged
        self._after_write(session, outcome)
        self._audit_changes(session, outcome, existing)
        # Only baselines that differ from the stored ones (an older-form baseline equal in content stays).
        self._save_baselines(
            session,
            {
                row["external_id"]: imported[row["external_id"]]
                for row in rows
                if bases.get(row["external_id"]) != imported[row["external_id"]]
            },
            stored=bases,
        )

    # --- re-imports: three-way merge -----------------------------------------------------------

    def _drop_unchanged(
        self,
        session: Session,
        rows: list[dict[str, Any]],
        imported: dict[str, dict[str, Any]],
        bases: dict[str, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """A stored ticket whose file values equal the last import's: nothing to merge or write."""
        same = [key for key, values in imported.items() if bases.get(key) == values]
        present: set[str] = set()
        for start in range(0, len(same), 500):
            query = select(TICKET.c.external_id).where(
                TICKET.c.source == self.source_name, TICKET.c.external_id.in_(same[start : start + 500])
            )
            present.update(session.execute(query).scalars())
        if not present:
            return rows
        self.unchanged += len(present)
        return [row for row in rows if row["external_id"] not in present]

    def _merge(
        self, session: Session, rows: list[dict[str, Any]], bases: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Keep the team's value wherever the file did not change a field since the last import."""
        keys = [(self.source_name, row["external_id"]) for row in rows if row["external_id"] in bases]
        if not keys:
            return {}
        stored = fetch_existing(session, TICKET, ("source", "external_id"), keys, {"source": self.source_name})
        for row in rows:
            current = stored.get((self.source_name, row["external_id"]))
            base = bases.get(row["external_id"])
            if current is None or base is None:
                continue  # new, or never imported with a baseline: the file's values apply
            for name in OWNED:
                if name not in row or name not in base:
                    continue
                file_value, mine = form(row[name]), form(current[name])
                if file_value == base[name]:
                    row[name] = current[name]  # the file did not change it: the team's value stays
                elif mine != base[name] and mine != file_value:
                    self.conflict_count += 1
                    if len(self.conflicts) < CONFLICTS_SHOWN:
                        here, there = plain(current[name]), plain(row[name])
                        self.conflicts.append(f"ticket {row['external_id']} {name} (here {here!r}, file {there!r})")
                    row[name] = current[name]
        return {key: value for (_source, key), value in stored.items()}

    def _baselines(self, session: Session, keys: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            query = select(BASELINE.c.record_key, BASELINE.c["values"]).where(
                BASELINE.c.kind == self.source_name, BASELINE.c.record_key.in_(keys[start : start + 500])
            )
            found.update({key: decode_baseline(values) for key, values in session.execute(query)})
        return found

    def _save_baselines(
        self, session: Session, imported: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
    ) -> None:
        """``stored``: the baselines read for these keys (``_baselines``, same snapshot). A key
        without one is inserted straight away, as the upsert would (ids assigned in the same
        order); only the others go through the upsert's lookup (a first import: none)."""
        rows = [
            {
                "kind": self.source_name,
                "record_key": key,
                "values": encode_baseline(values),
                "imported_at": self.now,
            }
            for key, values in imported.items()
        ]
        new = [row for row in rows if row["record_key"] not in stored]
        if new:
            bulk_insert(session, BASELINE, new, ids=True)
        known = [row for row in rows if row["record_key"] in stored] if len(new) < len(rows) else []
        # Compared on the values only: an unchanged re-import rewrites no baseline.
        if known:
            upsert(session, BASELINE, ("kind", "record_key"), known, compare=("values",))

    def _audit_changes(self, session: Session, outcome: UpsertOutcome, existing: dict[str, dict[str, Any]]) -> None:
        """One audit row per ticket the import changed (inserts are covered by the run's entry).

        Written with ``bulk_insert`` so a planned import (see ``plan``) records them for the apply
        like its other writes instead of writing inside the read pass."""
        rows = []
        for row in outcome.updated:
            old = existing.get(row["external_id"])
            if old is None:
                continue
            changed = [n for n in OWNED if n in row and plain(row[n]) != plain(old[n])]
            if not changed:
                continue
            rows.append(
                audit.entry_row(
                    actor=self.actor,  # type: ignore[attr-defined]
                    now=self.now,
                    entity="ticket",
                    entity_id=row["id"],
                    action="import",
                    before={n: plain(old[n]) for n in changed},
                    after={n: plain(row[n]) for n in changed},
                )
            )
        if rows:
            bulk_insert(session, AUDIT, rows)

    # Zendesk exports pauses in calendar minutes; a business-hours policy counts business minutes.
    pauses_in_calendar_minutes = False

    def _apply_sla(self, row: dict[str, Any], existing: dict[str, Any] | None) -> None:
        view = SlaView(row)
        if self.pauses_in_calendar_minutes and view.paused_minutes:
            end = row.get("solved_at") or row.get("paused_since") or row.get("updated_at") or view.created_at
            policy = self.sla.policy_for(view)
            view.paused_minutes = row["paused_minutes"] = calendar_pause_on_policy_clock(
                policy, view.created_at, end, view.paused_minutes
            )
        clocks = self.sla.apply(view, self.now)  # type: ignore[arg-type]
        if row.get("status") in CLOSED and row.get("first_response_at") is None:
            # Closed, first reply unknown: that clock is unknown, neither running nor breached.
            clocks = [c for c in clocks if c.metric != "first_response"]
            due = next_due(clocks)
            view.next_due_at, view.next_due_metric, view.next_risk_at = due.due_at, due.metric, due.risk_at
            view.due_sort_at = due.sort_key
        row.update(
            policy_id=view.policy_id,
            next_due_at=view.next_due_at,
            next_due_metric=view.next_due_metric,
            next_risk_at=view.next_risk_at,
            due_sort_at=view.due_sort_at,
            breach_check_at=view.next_due_at,  # always safe: computed again once its first clock is due
        )
        row["_breaches"] = [
            (c.metric, c.due_at)
            for c in clocks
            if c.state == "breached" and c.due_at is not None and c.due_at <= self.now
        ]

    def _after_write(self, session: Session, outcome: UpsertOutcome) -> None:
        ids: dict[str, int] = {row["external_id"]: row["id"] for row in outcome.updated}
        ids.update({row["external_id"]: row["id"] for row in outcome.inserted if "id" in row})  # planned: known
        new_ids = [row["external_id"] for row in outcome.inserted if row["external_id"] not in ids]
        for start in range(0, len(new_ids), 500):
            query = select(TICKET.c.external_id, TICKET.c.id).where(
                TICKET.c.source == self.source_name, TICKET.c.external_id.in_(new_ids[start : start + 500])
            )
            ids.update({external_id: ticket_id for external_id, ticket_id in session.execute(query)})
        messages = [
            {
                "ticket_id": ids[row["external_id"]],
                "kind": "customer",
                "author": row["_author"][:120],
                "body": row["_description"],
                "created_at": row["created_at"],
            }
            for row in outcome.inserted
            if row["_description"]
        ]
        if messages:
            bulk_insert(session, table_of(TicketMessage), messages)
        self._record_breaches(session, outcome, ids)

    def _record_breaches(self, session: Session, outcome: UpsertOutcome, ids: dict[str, int]) -> None:
        wanted = [
            (ids[row["external_id"]], metric, due)
            for row in outcome.inserted + outcome.updated
            for metric, due in row.get("_breaches", [])
        ]
        if not wanted:
            return
        breach = table_of(SlaBreach)
        known: set[tuple[int, str, datetime]] = set()
        updated_ids = [ids[row["external_id"]] for row in outcome.updated]
        for start in range(0, len(updated_ids), 500):
            query = select(breach.c.ticket_id, breach.c.metric, breach.c.due_at).where(
                breach.c.ticket_id.in_(updated_ids[start : start + 500])
            )
            known.update((t, m, d) for t, m, d in session.execute(query))
        rows = [
            {"ticket_id": t, "metric": m, "due_at": d, "recorded_at": self.now}
            for t, m, d in dict.fromkeys(wanted)
            if (t, m, d) not in known
        ]
        if rows:
            bulk_insert(session, breach, rows, unless_exists=("ticket_id", "metric", "due_at"))
