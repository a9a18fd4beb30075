"""The SLA settings screen (issue 17): reached from the Tickets screen, changes the database and
re-applies open tickets; its look at 80x24 and 160x48."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, SlaPolicy, Ticket
from dtc_tui.services.tickets import ops
from tests.conftest import make_app, screen_text


@pytest.mark.asyncio
async def test_toggle_reorder_and_test_a_policy(engine: Engine, clock: FixedClock, settings: Settings) -> None:
    now = clock.now()
    ticket_id = ops.create_ticket(
        engine, subject="Server down", channel="email", category="site_incident", now=now, actor="t"
    )
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        text = screen_text(app)
        assert "Policies (the first active match wins)" in text and "Site incident" in text
        await pilot.press("space")  # the cursor starts on the first policy: Site incident off
        await pilot.pause()
        with db.read_session(engine) as session:
            policy = session.execute(select(SlaPolicy).where(SlaPolicy.name == "Site incident")).scalars().one()
            ticket = session.get(Ticket, ticket_id)
            audited = session.execute(select(AuditLog.action).where(AuditLog.entity == "sla_policy")).scalars().all()
        assert policy.active is False and audited == ["update"]
        assert ticket is not None and ticket.next_due_at == now + timedelta(hours=12)  # Standard now, at once
        await pilot.press("]")  # move it below Urgent
        await pilot.pause()
        with db.read_session(engine) as session:
            order = session.execute(select(SlaPolicy.name).order_by(SlaPolicy.position)).scalars().all()
        assert order[:2] == ["Urgent", "Site incident"]
        await pilot.press("t")
        for key in "2026-11-23T09:00+00:00":
            await pilot.press(key)
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        # the cursor follows the moved policy: Site incident, 30 min first response from Mon 09:00
        assert "Site incident from Mon 2026-11-23 09:00 UTC:" in text
        assert "First response     30m  due Mon 2026-11-23 09:30 UTC" in text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_sla_settings_snapshot(
    snap_compare, sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(sqlite_demo_engine, clock, settings), press=["S"], terminal_size=size)


@pytest.mark.asyncio
async def test_reached_from_the_command_palette(engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        for key in "SLA settings":
            await pilot.press(key if key != " " else "space")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "SlaSettingsScreen"
        assert "Support hours" in screen_text(app)


# --- setting a team up from the app alone --------------------------------------------------------


async def _type(pilot, app, selector: str, text: str, *, clear: bool = False) -> None:  # type: ignore[no-untyped-def]
    box = app.screen.query_one(selector)
    box.focus()
    await pilot.pause()
    if clear:
        await pilot.press("end", *["backspace"] * len(box.value))
    for key in text:
        await pilot.press({" ": "space", "-": "minus", ",": "comma", ":": "colon", "_": "underscore"}.get(key, key))
    await pilot.pause()


async def _pick(pilot, app, selector: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Choose an option of a Select with the keyboard (open it, arrow down to the label, Enter)."""
    select = app.screen.query_one(selector)
    labels = [str(prompt) for prompt, _value in select._options]
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*["down"] * labels.index(label), "enter")
    await pilot.pause()


def _field_error(app, field: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(f"#err-{field}").render())


@pytest.mark.asyncio
async def test_an_operator_sets_up_a_two_calendar_team_from_the_app(
    engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    """Berlin and US/Pacific calendars with holidays copied from the `holidays` package, two
    business-hours policies, all typed into the screen; bad input is refused on its field and kept.

    Hand-computed due times (4 business hours of first response, both calendars Mon-Fri 09:00-17:00):
    - returns ticket, created Thu 2026-12-24 16:00 Berlin (15:00 UTC): Thu 16:00-17:00 counts 1 h;
      Fri 25th and Sat 26th are German holidays, Sunday is closed; Mon 28th 09:00 + 3 h = 12:00 CET
      = **2026-12-28 11:00 UTC**.
    - presales ticket, created Wed 2026-11-25 16:00 PST (Thu 00:00 UTC): Wed 16:00-17:00 counts 1 h;
      Thu 26th is Thanksgiving; Fri 27th 09:00 + 3 h = 12:00 PST = **2026-11-27 20:00 UTC**.
    """
    from dtc_tui.models import BusinessCalendar, Holiday
    from dtc_tui.services.tickets.detail import ticket_detail
    from dtc_tui.services.tickets.queue import QueueQuery, TicketQueueSource

    eu = ops.create_ticket(
        engine, subject="Return label", channel="email", category="returns",
        now=datetime(2026, 12, 24, 15, 0, tzinfo=UTC), actor="t",
    )  # fmt: skip
    us = ops.create_ticket(
        engine, subject="Bulk price?", channel="chat", category="presales",
        now=datetime(2026, 11, 26, 0, 0, tzinfo=UTC), actor="t",
    )  # fmt: skip
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        for name, search, zone, country in (
            ("Berlin", "Berlin", "Europe/Berlin", "DE 2026"),
            ("US West", "Los_Angeles", "America/Los_Angeles", "US 2026"),
        ):
            await pilot.press("C")
            await pilot.pause()
            assert type(app.screen).__name__ == "CalendarForm"
            await _type(pilot, app, "#f-name", name)
            await _type(pilot, app, "#f-timezone", search)
            await pilot.press("enter")  # picks the one match of the searchable list
            await pilot.pause()
            assert app.screen.query_one("#f-timezone").value == zone
            # a bad row is refused on its field and kept as typed
            await _type(pilot, app, "#f-day-6", "9am-1pm")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "bad time '9am'" in _field_error(app, "day-6")
            assert app.screen.query_one("#f-day-6").value == "9am-1pm"
            await _type(pilot, app, "#f-day-6", "", clear=True)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert _field_error(app, "day-6") == ""
            assert str(app.screen.query_one("#form-message").render()).startswith(
                f"saved {name}: {zone}, mon-fri 09:00-17:00"
            )
            await _type(pilot, app, "#f-copy", country)
            await pilot.press("enter")
            await pilot.pause()
            message = str(app.screen.query_one("#form-message").render())
            count = 9 if country.startswith("DE") else 12  # the holidays package's 2026 lists
            assert message == f"copied {count} holidays of {country}; open tickets re-applied"
            await pilot.press("escape")
            await pilot.pause()
        for name, category, calendar in (("EU returns", "returns", "Berlin"), ("US presales", "presales", "US West")):
            await pilot.press("a")
            await pilot.pause()
            assert type(app.screen).__name__ == "PolicyForm"
            await _type(pilot, app, "#f-name", name)
            await _type(pilot, app, "#f-position", "0")
            await _type(pilot, app, "#f-match_category", category)
            await _type(pilot, app, "#f-first", "4h")
            await _type(pilot, app, "#f-resolution", "-5")
            await _pick(pilot, app, "#f-clock", f"business hours: {calendar}")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "must be positive" in _field_error(app, "resolution")  # refused by the one validation
            assert app.screen.query_one("#f-first").value == "4h"  # input kept
            await _type(pilot, app, "#f-resolution", "16h", clear=True)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert type(app.screen).__name__ == "SlaSettingsScreen"
        text = screen_text(app)
        assert "US presales" in text and "EU returns" in text and "business: Berlin" in text
    with db.read_session(engine) as session:
        zones = {c.name: c.timezone for c in session.execute(select(BusinessCalendar)).scalars()}
        days = {
            (c, h.day.isoformat())
            for c, h in session.execute(
                select(BusinessCalendar.name, Holiday).join(Holiday, Holiday.calendar_id == BusinessCalendar.id)
            )
        }
        order = session.execute(select(SlaPolicy.name).order_by(SlaPolicy.position)).scalars().all()
        audited = session.execute(select(AuditLog.entity, AuditLog.action)).all()
        eu_ticket, us_ticket = session.get(Ticket, eu), session.get(Ticket, us)
        eu_detail = ticket_detail(session, eu, clock.now())
    assert zones["Berlin"] == "Europe/Berlin" and zones["US West"] == "America/Los_Angeles"
    assert ("Berlin", "2026-12-25") in days and ("US West", "2026-11-26") in days
    assert ("Berlin", "2026-11-26") not in days
    assert order[:2] == ["US presales", "EU returns"]
    assert ("business_calendar", "holidays_add") in audited and ("sla_policy", "create") in audited
    # the hand-computed due times, stored at once (what the queue sorts on and `sla check` reads)
    assert eu_ticket is not None and us_ticket is not None
    assert (eu_ticket.next_due_metric, eu_ticket.next_due_at) == (
        "first_response",
        datetime(2026, 12, 28, 11, 0, tzinfo=UTC),
    )
    assert (us_ticket.next_due_metric, us_ticket.next_due_at) == (
        "first_response",
        datetime(2026, 11, 27, 20, 0, tzinfo=UTC),
    )
    # the ticket view and the queue agree with the stored summary
    assert eu_detail is not None
    assert {c.metric: c.due_at for c in eu_detail.clocks}["first_response"] == datetime(2026, 12, 28, 11, 0, tzinfo=UTC)
    rows = TicketQueueSource(engine, QueueQuery(view="all_open", now=clock.now())).fetch(0, 50)
    assert {r.id: r.next_due_at for r in rows}[us] == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_edit_a_policy_and_a_calendar(engine: Engine, clock: FixedClock, settings: Settings) -> None:
    """`e` on a policy renames it and changes a target; Enter on a calendar edits its rows and
    holidays; each save is audited and re-applied to open tickets at once."""
    from dtc_tui.models import BusinessCalendar, Holiday

    now = clock.now()  # Fri 2026-11-20 14:00 UTC
    ticket_id = ops.create_ticket(
        engine, subject="Server down", channel="email", category="site_incident", now=now, actor="t"
    )
    app = make_app(engine, clock, settings)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("e")  # the cursor is on the first policy, Site incident (first response 30 min)
        await pilot.pause()
        assert type(app.screen).__name__ == "PolicyForm"
        assert app.screen.query_one("#f-first").value == "30"
        await _type(pilot, app, "#f-name", "Site down", clear=True)
        await _type(pilot, app, "#f-first", "1h30", clear=True)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "SlaSettingsScreen"
        with db.read_session(engine) as session:
            policy = session.execute(select(SlaPolicy).where(SlaPolicy.name == "Site down")).scalars().one()
            ticket = session.get(Ticket, ticket_id)
            change = session.execute(
                select(AuditLog.before, AuditLog.after).where(AuditLog.entity == "sla_policy")
            ).one()
        assert policy.first_response_minutes == 90
        assert ticket is not None and ticket.next_due_at == now + timedelta(minutes=90)  # re-applied at once
        assert '"first_response_minutes": 30' in change[0] and '"name": "Site down"' in change[1]
        app.screen.query_one("#calendars").focus()
        await pilot.press("enter")  # the one calendar: Support hours
        await pilot.pause()
        assert type(app.screen).__name__ == "CalendarForm"
        assert app.screen.query_one("#f-day-1").value == "09:00-12:30, 13:30-18:00"
        assert app.screen.query_one("#f-day-7").value == ""
        await _type(pilot, app, "#f-day-1", "08:00-12:30, 12:00-18:00", clear=True)  # overlapping: refused
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "overlap" in _field_error(app, "day-1")
        await _type(pilot, app, "#f-day-1", "08:00-12:30, 13:30-18:00", clear=True)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await _type(pilot, app, "#f-holiday", "2026-11-23 Staff day")
        await pilot.press("enter")
        await pilot.pause()
        await _type(pilot, app, "#f-holiday", "23.11.2026")
        await pilot.press("enter")
        await pilot.pause()
        assert "write the day as YYYY-MM-DD" in _field_error(app, "holiday")
        assert app.screen.query_one("#f-holiday").value == "23.11.2026"
        await _type(pilot, app, "#f-copy", "XX 2026")
        await pilot.press("enter")
        await pilot.pause()
        assert "no holiday data for 'XX'" in _field_error(app, "copy")
        await pilot.press("escape")
        await pilot.pause()
    with db.read_session(engine) as session:
        calendar = session.execute(select(BusinessCalendar)).scalars().one()
        holidays = session.execute(select(Holiday.day, Holiday.name)).all()
        actions = (
            session.execute(select(AuditLog.action).where(AuditLog.entity == "business_calendar").order_by(AuditLog.id))
            .scalars()
            .all()
        )
    assert '"mon": [["08:00", "12:30"], ["13:30", "18:00"]]' in calendar.weekly_hours
    assert [(d.isoformat(), n) for d, n in holidays] == [("2026-11-23", "Staff day")]
    assert actions == ["update", "holidays_add"]
