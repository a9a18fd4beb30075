"""Clock rules of issue 17 on both backends, hand-computed with the times written out.

Default policies (sla_defaults): Standard = first response 12 h, next response 12 h, resolution
48 h, calendar hours; Urgent = 1 h / 2 h / 8 h. Monday 2026-11-23 09:00 UTC is the start unless
a case says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from dtc_tui import clock as clock_module
from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.models import SlaBreach, Ticket
from dtc_tui.services.common import settings
from dtc_tui.services.tickets import ops, sla_admin
from dtc_tui.services.tickets.detail import ticket_detail
from dtc_tui.services.tickets.queue import QueueQuery, TicketQueueSource
from dtc_tui.services.tickets.sla_breaches import record_due_breaches, record_every_breach
from dtc_tui.services.tickets.sla_store import SlaContext

MON_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def new_ticket(engine: Engine, created: datetime, **kw: object) -> int:
    args = {"subject": "Where is my order?", "channel": "email", "category": "logistics", "actor": "test"}
    args.update(kw)
    return ops.create_ticket(engine, now=created, **args)  # type: ignore[arg-type]


def clocks_at(engine: Engine, ticket_id: int, now: datetime) -> dict:
    with db.read_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        return {c.metric: c for c in SlaContext(session).clocks(ticket, now)}  # type: ignore[arg-type]


def stored(engine: Engine, ticket_id: int) -> Ticket:
    with db.read_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def breaches(engine: Engine, ticket_id: int) -> list[tuple[str, datetime, datetime]]:
    with db.read_session(engine) as session:
        rows = session.execute(
            select(SlaBreach.metric, SlaBreach.due_at, SlaBreach.recorded_at)
            .where(SlaBreach.ticket_id == ticket_id)
            .order_by(SlaBreach.due_at)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


# --- re-open ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("solved", "reopened", "due", "counted"),
    [
        # solved Mon 12:00 after 3 h; re-opened Wed 12:00 (2 days solved): 48 h + 48 h -> due Fri 09:00
        (utc(23, 12), utc(25, 12), utc(27, 9), 180),
        # solved Mon 09:30 after 30 min; re-opened Mon 10:30: 48 h + 1 h -> due Wed 10:00
        (utc(23, 9, 30), utc(23, 10, 30), utc(25, 10), 30),
    ],
)
def test_reopen_resumes_resolution_where_it_stopped(
    engine: Engine, solved: datetime, reopened: datetime, due: datetime, counted: float
) -> None:
    ticket_id = new_ticket(engine, MON_0900)
    ops.add_reply(engine, ticket_id, "On its way", "ana", MON_0900 + timedelta(minutes=10))
    ops.set_status(engine, ticket_id, "solved", "ana", solved)
    ops.customer_message(engine, ticket_id, "It did not arrive", "Cleo", reopened)
    resolution = clocks_at(engine, ticket_id, reopened)["resolution"]
    assert resolution.due_at == due
    assert resolution.state == "ok"
    assert resolution.elapsed_minutes == pytest.approx(counted)
    assert breaches(engine, ticket_id) == []


def test_reopen_by_status_change_counts_solved_time_as_stopped(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900)
    ops.add_reply(engine, ticket_id, "Done", "ana", utc(23, 10))
    ops.set_status(engine, ticket_id, "solved", "ana", utc(23, 11))  # 2 h counted
    ops.set_status(engine, ticket_id, "open", "ana", utc(26, 11))  # 3 days solved, not counted
    # 48 h from Mon 09:00 is Wed 09:00, plus 72 h solved: Sat 2026-11-28 09:00
    assert clocks_at(engine, ticket_id, utc(26, 11))["resolution"].due_at == utc(28, 9)
    assert stored(engine, ticket_id).next_due_at == utc(28, 9)


# --- pending pauses what the policy says -----------------------------------------------------


@pytest.mark.parametrize(
    ("pause_on", "due"),
    [
        ("pending,on_hold", utc(25, 13)),  # pending Mon 10:00-14:00 paused: Wed 09:00 + 4 h
        ("on_hold", utc(25, 9)),  # pending does not pause this policy: Wed 09:00
        ("", utc(25, 9)),  # nothing pauses
    ],
)
def test_pending_pauses_resolution_as_the_policy_says(engine: Engine, pause_on: str, due: datetime) -> None:
    with db.write_session(engine) as session:
        sla_admin.save_policy(session, "Standard", {"pause_statuses": pause_on}, actor="lead", now=MON_0900)
    ticket_id = new_ticket(engine, MON_0900)
    ops.add_reply(engine, ticket_id, "Please send a photo", "ana", utc(23, 10), status_after="pending")
    ops.set_status(engine, ticket_id, "open", "ana", utc(23, 14))
    assert clocks_at(engine, ticket_id, utc(23, 14))["resolution"].due_at == due


# --- breaches recorded by the write that stops a late clock ----------------------------------


def test_a_late_next_reply_records_its_breach_at_once(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900)
    ops.add_reply(engine, ticket_id, "Looking into it", "ana", utc(23, 10))  # first response in 1 h: met
    ops.customer_message(engine, ticket_id, "Any news?", "Cleo", utc(23, 11))  # next response due 23:00
    ops.add_reply(engine, ticket_id, "Sorry for the wait", "ana", utc(24, 1))  # two hours late
    assert breaches(engine, ticket_id) == [("next_response", utc(23, 23), utc(24, 1))]


def test_a_late_first_reply_and_a_late_solve_record_theirs(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900, priority="urgent")  # Urgent: first 1 h, resolution 8 h
    ops.add_reply(engine, ticket_id, "Hello", "ana", utc(23, 11))  # due 10:00
    ops.set_status(engine, ticket_id, "solved", "ana", utc(23, 18))  # due 17:00
    assert breaches(engine, ticket_id) == [
        ("first_response", utc(23, 10), utc(23, 11)),
        ("resolution", utc(23, 17), utc(23, 18)),
    ]


@pytest.mark.parametrize("command", [["check"], ["overview"], ["sla", "check"]])
def test_every_periodic_check_records_every_clock_past_due(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    # The cron commands record what the app's tick records: the resolution breach behind a breached
    # first response too (``check`` recorded only the earliest clock before 2026-12-04).
    ticket_id = new_ticket(engine, MON_0900, priority="urgent")  # first due 10:00, resolution due 17:00
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setattr(clock_module, "utcnow", lambda: utc(23, 18))
    assert CliRunner().invoke(main_group, ["--db", url, *command]).exit_code in (0, 1)
    expected = [("first_response", utc(23, 10), utc(23, 18)), ("resolution", utc(23, 17), utc(23, 18))]
    assert breaches(engine, ticket_id) == expected
    monkeypatch.setattr(clock_module, "utcnow", lambda: utc(23, 19))
    assert CliRunner().invoke(main_group, ["--db", url, *command]).exit_code in (0, 1)
    assert breaches(engine, ticket_id) == expected  # once each


def test_sla_check_records_every_clock_not_only_the_earliest(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900, priority="urgent")  # first due 10:00, resolution due 17:00
    with db.write_session(engine) as session:
        assert record_due_breaches(session, utc(23, 18)) == 1  # the tick's fast path: the earliest only
    with db.write_session(engine) as session:
        assert record_every_breach(session, utc(23, 18)) == 1  # the resolution breach behind it
    with db.write_session(engine) as session:
        assert record_every_breach(session, utc(23, 19)) == 0  # once each
    assert breaches(engine, ticket_id) == [
        ("first_response", utc(23, 10), utc(23, 18)),
        ("resolution", utc(23, 17), utc(23, 18)),
    ]


# --- derived summaries follow policy and setting changes at once -----------------------------


def _breached_count(engine: Engine, now: datetime) -> int:
    return TicketQueueSource(engine, QueueQuery(view="breached", now=now)).count()


def test_a_policy_change_reapplies_open_tickets_at_once(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900)  # first response due 21:00
    solved_id = new_ticket(engine, MON_0900)
    ops.set_status(engine, solved_id, "solved", "ana", utc(23, 9, 30))
    before_solved = stored(engine, solved_id)
    assert _breached_count(engine, utc(23, 20)) == 0
    with db.write_session(engine) as session:
        sla_admin.save_policy(session, "Standard", {"first_response_minutes": 600}, actor="lead", now=utc(23, 12))
    ticket = stored(engine, ticket_id)
    assert ticket.next_due_at == utc(23, 19)  # 10 h from 09:00
    # queue, view and sla check agree
    assert _breached_count(engine, utc(23, 20)) == 1
    with db.read_session(engine) as session:
        detail = ticket_detail(session, ticket_id, utc(23, 20))
    assert detail is not None
    assert {c.metric: c.due_at for c in detail.clocks}["first_response"] == utc(23, 19)
    solved = stored(engine, solved_id)
    assert (solved.next_due_at, solved.due_sort_at) == (before_solved.next_due_at, before_solved.due_sort_at)


def test_an_at_risk_setting_change_reapplies(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900)
    assert stored(engine, ticket_id).next_risk_at == utc(23, 18)  # 25 % of 12 h left: 9 h in
    with db.write_session(engine) as session:
        settings.put(session, "sla.at_risk_fraction", 0.5, actor="lead", now=utc(23, 10))
    assert stored(engine, ticket_id).next_risk_at == utc(23, 15)  # half of 12 h: 6 h in
    with db.write_session(engine) as session:
        settings.reset(session, "sla.at_risk_fraction", actor="lead", now=utc(23, 11))
    assert stored(engine, ticket_id).next_risk_at == utc(23, 18)


def test_a_deactivated_policy_hands_its_tickets_to_the_next_match(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900, priority="urgent")
    assert stored(engine, ticket_id).next_due_at == utc(23, 10)  # Urgent: 1 h
    with db.write_session(engine) as session:
        sla_admin.save_policy(session, "Urgent", {"active": False}, actor="lead", now=utc(23, 9, 5))
    assert stored(engine, ticket_id).next_due_at == utc(23, 21)  # Standard: 12 h
    with db.read_session(engine) as session:
        detail = ticket_detail(session, ticket_id, utc(23, 9, 10))
    assert detail is not None and detail.policy == "Standard"
    assert [c.metric for c in detail.clocks] == ["first_response", "resolution"]


def test_reorder_changes_which_policy_wins(engine: Engine) -> None:
    ticket_id = new_ticket(engine, MON_0900, priority="urgent", category="presales")  # Urgent is before Pre-sales
    assert stored(engine, ticket_id).next_due_at == utc(23, 10)
    with db.write_session(engine) as session:
        order = sla_admin.move_policy(session, "Pre-sales", 0, actor="lead", now=utc(23, 9, 1))
    assert [p.name for p in order][:3] == ["Pre-sales", "Site incident", "Urgent"]
    assert stored(engine, ticket_id).next_due_at == utc(23, 11)  # Pre-sales: 2 h


# --- a bad row already in the database -------------------------------------------------------


def test_a_bad_calendar_row_skips_its_policy_and_never_crashes_other_tickets(engine: Engine) -> None:
    from dtc_tui.models import BusinessCalendar, SlaPolicy

    with db.write_session(engine) as session:  # as an older version let them in
        broken = BusinessCalendar(name="Broken", timezone="Mars/Base", weekly_hours="{not json")
        unused = BusinessCalendar(name="Unused", timezone="Europe/Berlin", weekly_hours='{"0": [["9am", "5pm"]]}')
        session.add_all([broken, unused])
        session.flush()
        session.add(
            SlaPolicy(name="EU", position=-1, first_response_minutes=60, business_hours=True, calendar_id=broken.id)
        )
    ticket_id = new_ticket(engine, MON_0900)
    assert stored(engine, ticket_id).next_due_at == utc(23, 21)  # Standard, the next match
    with db.read_session(engine) as session:
        ctx = SlaContext(session)
        detail = ticket_detail(session, ticket_id, utc(23, 10))
        explained = sla_admin.explain(session, ticket_id, utc(23, 10))
        listed = {p.name: p for p in sla_admin.list_policies(session)}
    assert [p.name for p in ctx.policies][0] == "Site incident"
    assert ctx.warnings == [
        "SLA policy 'EU' is skipped: calendar 'Broken': unknown time zone 'Mars/Base' (use an IANA name such as "
        "Europe/Berlin or America/Los_Angeles); not JSON (Expecting property name enclosed in double quotes at "
        'character 1); write {"mon": [["09:00", "12:30"], ["13:30", "18:00"]]}'
    ]
    assert detail is not None and detail.policy == "Standard"
    assert explained is not None and explained.warnings == ctx.warnings
    assert listed["EU"].problem == ctx.warnings[0]
    assert listed["Standard"].problem is None


# --- business hours across DST and holidays, as the "test this policy" panel shows ------------


@pytest.mark.parametrize(
    ("zone", "hours", "holidays", "start", "first_due", "resolution_due"),
    [
        # Berlin, Fri 2026-03-27 16:00 CET (15:00 UTC); DST starts Sun 03-29.
        # 4 h: Fri 16-18 (2 h) + Mon 09:00-11:00 CEST = 09:00 UTC.
        # 16 h: Fri 2 + Mon 3.5 + 4.5 + Tue 3.5 = 13.5, then 13:30 + 2.5 h = 16:00 CEST = 14:00 UTC.
        (
            "Europe/Berlin",
            "mon-fri 09:00-12:30, 13:30-18:00",
            ("DE", None),
            utc(27, 15, month=3),
            utc(30, 9, month=3),
            utc(31, 14, month=3),
        ),
        # Berlin over Easter: Thu 2026-04-02 17:00 CEST (15:00 UTC); Good Friday 04-03 and Easter Monday 04-06 closed.
        # 4 h: Thu 17-18 (1 h) + Tue 04-07 09:00-12:00 CEST = 10:00 UTC.
        # 16 h: Thu 1 + Tue 8 + Wed 04-08 3.5 + 13:30 + 3.5 h = 17:00 CEST = 15:00 UTC.
        (
            "Europe/Berlin",
            "mon-fri 09:00-12:30, 13:30-18:00",
            ("DE", None),
            utc(2, 15, month=4),
            utc(7, 10, month=4),
            utc(8, 15, month=4),
        ),
        # US/Pacific, Fri 2026-03-06 15:00 PST (23:00 UTC); DST starts Sun 03-08.
        # 4 h: Fri 15-17 (2 h) + Mon 08:00-10:00 PDT = 17:00 UTC.
        # 16 h: Fri 2 + Mon 9 + Tue 08:00 + 5 h = 13:00 PDT = 20:00 UTC.
        (
            "America/Los_Angeles",
            "mon-fri 08:00-17:00",
            ("US", None),
            utc(6, 23, month=3),
            utc(9, 17, month=3),
            utc(10, 20, month=3),
        ),
        # US/Pacific over Thanksgiving: Wed 2026-11-25 16:00 PST (Thu 00:00 UTC); Thu 11-26 closed.
        # 4 h: Wed 16-17 (1 h) + Fri 08:00-11:00 PST = 19:00 UTC.
        # 16 h: Wed 1 + Fri 9 + Mon 11-30 08:00 + 6 h = 14:00 PST = 22:00 UTC.
        ("America/Los_Angeles", "mon-fri 08:00-17:00", ("US", None), utc(26, 0), utc(27, 19), utc(30, 22)),
    ],
)
def test_two_calendar_team_due_times(
    engine: Engine,
    zone: str,
    hours: str,
    holidays: tuple[str, str | None],
    start: datetime,
    first_due: datetime,
    resolution_due: datetime,
) -> None:
    with db.write_session(engine) as session:
        sla_admin.save_calendar(session, "Team", actor="lead", now=start, timezone=zone, weekly_text=hours)
        days = sla_admin.country_holidays(holidays[0], start.year, holidays[1])
        sla_admin.add_holidays(session, "Team", days, actor="lead", now=start)
        sla_admin.save_policy(
            session,
            "Business",
            {
                "first_response_minutes": 240,
                "resolution_minutes": 960,
                "business_hours": True,
                "calendar": "Team",
            },
            actor="lead",
            now=start,
        )
        assert sla_admin.try_policy(session, "Business", start) == [
            ("first_response", 240, first_due),
            ("resolution", 960, resolution_due),
        ]


def test_holidays_copy_from_a_country_and_remove(engine: Engine) -> None:
    with db.write_session(engine) as session:
        sla_admin.save_calendar(session, "Berlin", actor="lead", now=MON_0900, timezone="Europe/Berlin")
        added = sla_admin.add_holidays(
            session, "Berlin", sla_admin.country_holidays("DE", 2026, "BE"), actor="lead", now=MON_0900
        )
        again = sla_admin.add_holidays(
            session, "Berlin", sla_admin.country_holidays("DE", 2026, "BE"), actor="lead", now=MON_0900
        )
        removed = sla_admin.remove_holidays(session, "Berlin", [date(2026, 3, 8)], actor="lead", now=MON_0900)
        shown = next(c for c in sla_admin.list_calendars(session) if c.name == "Berlin")
    assert date(2026, 4, 3) in added and date(2026, 12, 25) in added and again == []
    assert removed == [date(2026, 3, 8)]  # International Women's Day, a Berlin holiday
    assert (date(2026, 4, 3), "Good Friday") in shown.holidays
    assert len(shown.holidays) == len(added) - 1


# --- the app's 30 s tick records every clock, not only the earliest ----------------------------


@pytest.mark.parametrize(
    ("priority", "events", "ticks", "expected"),
    [
        # Urgent (first 1 h, next 2 h, resolution 8 h), created Mon 09:00, nobody answers:
        # first response due 10:00, resolution due 17:00; the 17:30 tick records the second one
        ("urgent", [], [utc(23, 10, 30), utc(23, 17, 30)],
         [("first_response", utc(23, 10), utc(23, 10, 30)), ("resolution", utc(23, 17), utc(23, 17, 30))]),
        # the same with a single late tick: both at once
        ("urgent", [], [utc(23, 18)],
         [("first_response", utc(23, 10), utc(23, 18)), ("resolution", utc(23, 17), utc(23, 18))]),
        # Urgent, answered 09:30 (met), customer writes 11:00: next response due 13:00, resolution 17:00
        ("urgent", [("reply", utc(23, 9, 30)), ("customer", utc(23, 11))], [utc(23, 13, 5), utc(23, 17, 1)],
         [("next_response", utc(23, 13), utc(23, 13, 5)), ("resolution", utc(23, 17), utc(23, 17, 1))]),
        # Standard (first 12 h, next 12 h, resolution 48 h): answered 09:10 and pending until 14:00,
        # 4 h 50 min paused: resolution due Wed 09:00 + 4 h 50 = Wed 13:50
        ("normal", [("pending", utc(23, 9, 10)), ("open", utc(23, 14))], [utc(25, 13), utc(25, 14)],
         [("resolution", utc(25, 13, 50), utc(25, 14))]),
    ],
)  # fmt: skip
def test_the_tick_records_every_clock_breach(
    engine: Engine,
    priority: str,
    events: list[tuple[str, datetime]],
    ticks: list[datetime],
    expected: list[tuple[str, datetime, datetime]],
) -> None:
    from dtc_tui.clock import FixedClock
    from dtc_tui.ui.facades.app import AppFacade

    ticket_id = new_ticket(engine, MON_0900, priority=priority)
    for kind, at in events:
        if kind == "reply":
            ops.add_reply(engine, ticket_id, "On it", "ana", at)
        elif kind == "customer":
            ops.customer_message(engine, ticket_id, "Any news?", "Cleo", at)
        elif kind == "pending":
            ops.add_reply(engine, ticket_id, "Please send a photo", "ana", at, status_after="pending")
        else:
            ops.set_status(engine, ticket_id, kind, "ana", at)
    clock = FixedClock(ticks[0])
    facade = AppFacade(engine, "app", clock)  # one facade: its memo carries over between ticks
    for tick in ticks:
        clock.current = tick
        facade.record_breaches()
        facade.record_breaches()  # a second tick at the same moment records nothing twice
    assert breaches(engine, ticket_id) == expected


def test_a_write_that_makes_a_clock_late_records_it_and_the_tick_adds_nothing(engine: Engine) -> None:
    """The tick records the first response; re-prioritising makes resolution late at once: the
    write records it, and the next tick (which computes the changed ticket again) adds nothing."""
    from dtc_tui.clock import FixedClock
    from dtc_tui.ui.facades.app import AppFacade

    ticket_id = new_ticket(engine, MON_0900)  # Standard: first response due 21:00, resolution Wed 09:00
    clock = FixedClock(utc(23, 22))
    facade = AppFacade(engine, "app", clock)
    facade.record_breaches()
    assert breaches(engine, ticket_id) == [("first_response", utc(23, 21), utc(23, 22))]
    # urgent from 22:30: first response (1 h) due 10:00 and resolution (8 h) due 17:00, both past
    ops.set_priority(engine, ticket_id, "urgent", "ana", utc(23, 22, 30))
    expected = [
        ("first_response", utc(23, 10), utc(23, 22, 30)),
        ("resolution", utc(23, 17), utc(23, 22, 30)),
        ("first_response", utc(23, 21), utc(23, 22)),
    ]
    assert breaches(engine, ticket_id) == expected
    clock.current = utc(23, 22, 31)
    assert facade.record_breaches() == 0
    assert breaches(engine, ticket_id) == expected
