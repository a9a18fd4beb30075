"""The SLA re-apply stores exactly what it stored before it was made faster.

``tests/data/sla_reapply_reference.json`` was written by the re-apply as it was before (run
``python -m tests.test_sla_reapply_reference --write-reference`` on that code to write it again).
A seeded set of tickets (every status, replies, waiting customers, pauses, re-opened and odd rows,
created across two DST changes) is re-applied through the bench's scenarios and more: nothing
changed, a first-response target change, Standard moved onto a business-hours calendar, a target
change on it, holidays added and removed, a time-zone change, the at-risk share, a policy off and
moved, on calendars in five time zones (lunch breaks, a Saturday, 24:00 ends, holidays). After each
step every ticket's stored SLA state (policy, due, metric, risk, sort key, breach check) and every
recorded breach is compared: as blocks of 100 ticket ids (count and SHA-256), so a difference
names where it is. SQLite wrote the reference; PostgreSQL must store the same.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from dtc_tui import db
from dtc_tui.models import BusinessCalendar as CalendarRow
from dtc_tui.models import Customer, Holiday, Setting, SlaBreach, SlaPolicy, Ticket
from dtc_tui.models.base import table_of
from dtc_tui.services.tickets import sla_admin
from dtc_tui.services.tickets.business_hours import BusinessCalendar, micros_of, moment_of
from dtc_tui.services.tickets.sla import FAR_FUTURE, Policy, SummaryRule, TicketTimes, clocks, next_due

REFERENCE = Path(__file__).resolve().parent / "data" / "sla_reapply_reference.json"
NOW = datetime(2026, 11, 25, 15, 7, 30, tzinfo=UTC)  # a Wednesday; Thanksgiving (a holiday in New York) next
TICKETS = 1500
BLOCK = 100
STATUSES = ("new", "open", "open", "open", "pending", "on_hold", "solved", "closed")
CATEGORIES = ("product", "logistics", "logistics", "returns", "presales", "site_incident", "payment")
PRIORITIES = ("low", "normal", "normal", "high", "urgent")
CHANNELS = ("email", "chat", "whatsapp", "messenger", "phone")
CALENDARS: list[tuple[str, str, str, list[date]]] = [
    # name, zone, hours, holidays
    (
        "Berlin",
        "Europe/Berlin",
        "mon-fri 09:00-12:30, 13:30-18:00",
        [date(2026, 11, 18), date(2026, 11, 26), date(2026, 12, 24), date(2026, 12, 25)],
    ),
    ("New York", "America/New_York", "mon-fri 08:00-20:00; sat 10:00-14:00", [date(2026, 11, 26), date(2026, 11, 27)]),
    ("Tokyo", "Asia/Tokyo", "mon-sat 09:00-18:00", [date(2026, 11, 23)]),
    ("Sydney", "Australia/Sydney", "mon-fri 00:00-24:00", []),
    ("Sao Paulo", "America/Sao_Paulo", "mon-thu 07:30-11:45, 12:15-16:10; fri 07:30-12:00", [date(2026, 11, 20)]),
]


def _moment(rng: random.Random, start: datetime, most_minutes: int) -> datetime:
    """A moment after ``start``, to the microsecond sometimes (stored times are not all round)."""
    moment = start + timedelta(minutes=rng.randrange(1, most_minutes))
    if rng.random() < 0.3:
        moment += timedelta(seconds=rng.randrange(60), microseconds=rng.randrange(10**6))
    return moment


def _ticket(rng: random.Random, number: int, customers: list[int]) -> Ticket:
    """One ticket: created over the last 60 days (two DST changes), in any state, summary stale."""
    created = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 60))
    if rng.random() < 0.1:  # exactly on the hour: openings and closings hit to the minute
        created = created.replace(minute=0, second=0, microsecond=0)
    status = rng.choice(STATUSES)
    replied = status != "new" and rng.random() < 0.7
    first = _moment(rng, created, 3000) if replied else None
    awaiting = _moment(rng, first, 2000) if first is not None and rng.random() < 0.5 else None
    awaiting = created if awaiting is None and first is None and rng.random() < 0.8 else awaiting
    solved = _moment(rng, first or created, 4000) if status in ("solved", "closed") else None
    paused_since = _moment(rng, created, 5000) if status in ("pending", "on_hold") and rng.random() < 0.8 else None
    paused = round(rng.uniform(0, 900), 3) if rng.random() < 0.3 else 0.0
    is_open = status not in ("solved", "closed") or rng.random() < 0.05  # a few odd rows: open yet solved
    if is_open and status == "open" and rng.random() < 0.05:
        solved = _moment(rng, created, 3000)  # re-opened with its old solved time still there
    stale = _moment(rng, created, 9000) if rng.random() < 0.5 else None
    return Ticket(
        subject=f"ticket {number}",
        channel=rng.choice(CHANNELS),
        category=rng.choice(CATEGORIES),
        priority=rng.choice(PRIORITIES),
        status=status,
        is_open=is_open,
        customer_id=rng.choice(customers) if rng.random() < 0.9 else None,
        created_at=created,
        updated_at=created,
        first_response_at=first,
        awaiting_since=awaiting,
        solved_at=solved,
        paused_since=paused_since,
        paused_minutes=paused,
        policy_id=rng.choice((None, 1, 2, 3, 4, 5)),
        next_due_at=stale,
        next_due_metric="first_response" if stale else None,
        due_sort_at=stale or FAR_FUTURE,
        breach_check_at=rng.choice((None, stale, NOW + timedelta(days=400))),
    )


def seed(engine: Engine) -> None:
    rng = random.Random(20261125)
    with db.write_session(engine) as session:
        people = [Customer(name=f"c{i}", tier=rng.choice(("standard", "standard", "vip", "gold"))) for i in range(60)]
        session.add_all(people)
        session.flush()
        ids = [c.id for c in people if c.id is not None]
        session.add_all([_ticket(rng, n, ids) for n in range(TICKETS)])


def _policy(session: Session, name: str, **values: Any) -> None:
    session.execute(update(SlaPolicy).where(SlaPolicy.name == name).values(**values))  # type: ignore[arg-type]


def _calendar_id(session: Session, name: str) -> int:
    row = sla_admin.find_calendar(session, name)
    assert row is not None and row.id is not None
    return row.id


def setup_calendars(session: Session, now: datetime) -> None:
    """Four policies on four calendars (the first re-apply: every stale summary rewritten)."""
    for name, zone, hours, days in CALENDARS:
        sla_admin.save_calendar(session, name, actor="t", now=now, timezone=zone, weekly_text=hours)
        if days:
            sla_admin.add_holidays(session, name, [(d, "off") for d in days], actor="t", now=now)
    on = {"Urgent": "Sydney", "Pre-sales": "Tokyo", "VIP customers": "New York", "Site incident": "Sao Paulo"}
    for policy, calendar in on.items():
        _policy(session, policy, business_hours=True, calendar_id=_calendar_id(session, calendar))
    _policy(session, "VIP customers", match_tier="vip,gold", pause_statuses="pending")
    _policy(session, "Pre-sales", next_response_minutes=None)


def _targets(minutes: int) -> Callable[[Session, datetime], None]:
    def change(session: Session, now: datetime) -> None:
        _policy(session, "Standard", first_response_minutes=minutes)

    return change


def standard_on_business_hours(session: Session, now: datetime) -> None:
    """What the bench does: a new calendar, Standard counting business hours on it."""
    sla_admin.save_calendar(
        session, "Bench", actor="t", now=now, timezone="Europe/Berlin", weekly_text="mon-fri 09:00-17:00"
    )
    _policy(session, "Standard", business_hours=True, calendar_id=_calendar_id(session, "Bench"))


# The changes below write their rows directly (sla_admin's own functions re-apply at once), so the
# step's re-apply is the one that finds what changed.


def holidays_added(session: Session, now: datetime) -> None:
    bench = _calendar_id(session, "Bench")
    session.add_all(
        [Holiday(calendar_id=bench, day=date(2026, 11, 25) + timedelta(days=n), name="off") for n in (0, 2, 4, 6, 8)]
    )


def holidays_removed(session: Session, now: datetime) -> None:
    bench = _calendar_id(session, "Bench")
    gone = (date(2026, 11, 27), date(2026, 11, 29))
    session.execute(delete(Holiday).where(Holiday.calendar_id == bench, col(Holiday.day).in_(gone)))  # type: ignore[arg-type]


def _calendar(session: Session, name: str, **values: Any) -> None:
    session.execute(update(CalendarRow).where(CalendarRow.name == name).values(**values))  # type: ignore[arg-type]


def zone_changed(session: Session, now: datetime) -> None:
    _calendar(session, "Bench", timezone="America/Los_Angeles")


def hours_changed(session: Session, now: datetime) -> None:
    """Touching periods, stored as an older version let them in: merged when read."""
    week = {str(day): [["10:00", "12:00"], ["12:00", "19:30"]] for day in range(1, 6)}
    _calendar(session, "Tokyo", weekly_hours=json.dumps(week))


def risk_share(session: Session, now: datetime) -> None:
    session.add(Setting(key="sla.at_risk_fraction", value="0.4", updated_at=now, updated_by="t"))


def policy_off_and_moved(session: Session, now: datetime) -> None:
    _policy(session, "VIP customers", active=False)
    _policy(session, "Standard", position=-1)


def back_to_calendar_hours(session: Session, now: datetime) -> None:
    _policy(session, "Standard", business_hours=False, position=9, next_response_minutes=300)
    _policy(session, "VIP customers", active=True)


STEPS: list[tuple[str, int, Callable[[Session, datetime], None] | None]] = [
    # label, minutes after NOW, the change (None: nothing changed); each is then re-applied
    ("calendars set up", 0, setup_calendars),
    ("nothing changed", 0, None),
    ("nothing changed, later", 95, None),
    ("first-response target changed", 96, _targets(600)),
    ("first-response target back", 97, _targets(720)),
    ("Standard on business hours", 98, standard_on_business_hours),
    ("business hours, nothing changed", 99, None),
    ("business-hours target changed", 100, _targets(600)),
    ("business-hours target back", 101, _targets(720)),
    ("holidays added", 102, holidays_added),
    ("holidays removed", 103, holidays_removed),
    ("time zone changed", 104, zone_changed),
    ("other calendar's hours changed", 105, hours_changed),
    ("at-risk share changed", 106, risk_share),
    ("a policy off, another moved", 1440 * 3 + 7, policy_off_and_moved),
    ("back to calendar hours", 1440 * 3 + 8, back_to_calendar_hours),
]

_STATE = ("id", "is_open", "policy_id", "next_due_at", "next_due_metric", "next_risk_at", "due_sort_at")


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _blocks(rows: list[list[Any]]) -> dict[str, list[Any]]:
    """Rows grouped by ticket id into blocks of BLOCK ids: [row count, sha256 of the rows]."""
    grouped: dict[str, list[list[Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row[0] // BLOCK), []).append(row)
    return {
        key: [len(part), hashlib.sha256(json.dumps(part).encode()).hexdigest()] for key, part in sorted(grouped.items())
    }


def dump(engine: Engine) -> dict[str, Any]:
    """Every ticket's stored SLA state and every breach, as blocks; times as aware ISO text."""
    t, b = table_of(Ticket).c, table_of(SlaBreach).c
    with db.read_session(engine) as session:
        tickets = [
            [_text(v) for v in row]
            for row in session.execute(select(*[t[n] for n in _STATE], t.breach_check_at).order_by(t.id))
        ]
        breaches = [
            [_text(v) for v in row]
            for row in session.execute(
                select(b.ticket_id, b.metric, b.due_at, b.recorded_at).order_by(b.ticket_id, b.metric, b.due_at)
            )
        ]
    metrics: dict[str, int] = {}
    for row in tickets:
        if row[1]:
            metrics[str(row[4])] = metrics.get(str(row[4]), 0) + 1
    return {
        "open by metric": dict(sorted(metrics.items())),
        "tickets": _blocks(tickets),
        "breaches": _blocks(breaches),
        "breach count": len(breaches),
    }


def scenario(engine: Engine) -> dict[str, Any]:
    """Seed, then each step in its own write transaction, re-applied; what is stored after each."""
    seed(engine)
    out: dict[str, Any] = {}
    for label, minutes, change in STEPS:
        now = NOW + timedelta(minutes=minutes)
        with db.write_session(engine) as session:
            if change is not None:
                change(session, now)
            changed = sla_admin.reapply(session, now)
        out[label] = {"changed": changed, **dump(engine)}
    return out


def test_reapply_matches_the_reference(engine: Engine) -> None:
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(scenario(engine)))
    assert list(got) == list(expected)
    for label in expected:
        for part in ("changed", "open by metric", "breach count"):
            assert got[label][part] == expected[label][part], (label, part)
        for part in ("tickets", "breaches"):
            for block, value in expected[label][part].items():
                assert got[label][part].get(block) == value, (label, part, f"ids {int(block) * BLOCK}-")
            assert list(got[label][part]) == list(expected[label][part]), (label, part)


def test_the_reference_covers_what_it_says() -> None:
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    first = expected["calendars set up"]
    assert set(first["open by metric"]) >= {"first_response", "next_response", "resolution", "None"}
    assert first["breach count"] > 0
    assert expected["nothing changed"]["changed"] == 0
    for label in ("first-response target changed", "Standard on business hours", "business-hours target changed"):
        assert expected[label]["changed"] > 100, label
    for label in ("holidays added", "time zone changed", "at-risk share changed", "a policy off, another moved"):
        assert expected[label]["changed"] > 0, label


@pytest.mark.parametrize("fraction", [0.25, 0.0, 1.0])
@pytest.mark.parametrize("zone", [None, "Europe/Berlin", "America/Sao_Paulo"])
def test_the_summary_rule_is_the_engines(fraction: float, zone: str | None) -> None:
    """SummaryRule (what the re-apply runs) against next_due(clocks(...)) on random open tickets, with
    pauses, on both clocks, for every at-risk share including the edges (100%: risk = next opening)."""
    rng = random.Random(7)
    calendar = None
    if zone is not None:
        week = json.dumps({d: [["08:00", "12:15"], ["13:00", "24:00"]] for d in ("mon", "tue", "thu", "fri")})
        calendar = BusinessCalendar.from_json(zone, week, {date(2026, 11, 26)})
    policy = Policy(1, "p", 90, 45, 2880, business_hours=calendar is not None, calendar=calendar)
    rule = SummaryRule(policy, fraction)
    for _ in range(400):
        ticket = _ticket(rng, 0, [1])
        if not ticket.is_open or ticket.solved_at is not None or ticket.status in ("solved", "closed"):
            continue
        times = TicketTimes(
            ticket.created_at,
            ticket.status,
            ticket.first_response_at,
            ticket.awaiting_since,
            None,
            ticket.paused_since,
            ticket.paused_minutes,
        )
        engine = next_due(clocks(times, policy, NOW, at_risk_fraction=fraction))
        due, metric, risk = rule(
            micros_of(times.created_at),  # type: ignore[arg-type]
            micros_of(times.first_response_at),
            micros_of(times.awaiting_since),
            micros_of(times.paused_since),
            times.paused_minutes,
        )
        assert (moment_of(due), metric, moment_of(risk)) == (engine.due_at, engine.metric, engine.risk_at)


if __name__ == "__main__" and "--write-reference" in sys.argv:
    import tempfile

    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    with tempfile.TemporaryDirectory() as work:
        built = db.make_engine(f"sqlite:///{work}/reference.db")
        db.upgrade(built)
        with db.write_session(built) as first_session:
            ensure_defaults(first_session)
        found = scenario(built)
        built.dispose()
    REFERENCE.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE}")
