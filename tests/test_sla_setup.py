"""Setting SLA up from files and the command line (issue 17): refused rows name file, line and field;
derived ticket columns are computed on import; Zendesk pause minutes are converted; the CLI works."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.models import BusinessCalendar, Ticket
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.tickets import sla_admin
from dtc_tui.services.tickets.business_hours import BusinessCalendar as Calendar
from dtc_tui.services.tickets.sla import Policy, calendar_pause_on_policy_clock
from dtc_tui.services.tickets.sla_store import SlaContext

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_calendar_rows_are_refused_with_file_line_and_field(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "calendars.csv",
        "id,name,timezone,weekly_hours\n"
        '10,Berlin,Europe/Berlin,"{""mon"": [[""09:00"", ""17:00""]]}"\n'
        '11,Moon,Moon/Base,"{""mon"": [[""09:00"", ""17:00""]]}"\n'
        '12,Typo,UTC,"{""Mon"": [[""9am"", ""5pm""]]}"\n'
        '13,Twice,UTC,"{""1"": [[""09:00"", ""13:00""], [""12:00"", ""17:00""]]}"\n'
        "14,Text,UTC,mon 09:00-17:00\n",
    )
    summary = run_import(engine, "calendars", path, now=NOW, actor="tester")
    assert [str(e) for e in summary.errors] == [
        f"{path}:3: timezone: unknown time zone 'Moon/Base' (use an IANA name such as Europe/Berlin or "
        "America/Los_Angeles)",
        f"{path}:4: weekly_hours: mon: bad time '9am'; use HH:MM on a 24-hour clock (e.g. 09:00, 17:30)",
        f"{path}:5: weekly_hours: mon: periods 09:00-13:00 and 12:00-17:00 overlap",
        f"{path}:6: weekly_hours: not JSON (Expecting value at character 0); write "
        '{"mon": [["09:00", "12:30"], ["13:30", "18:00"]]}',
    ]
    with db.read_session(engine) as session:  # all or nothing
        assert session.execute(select(BusinessCalendar.id).where(BusinessCalendar.id == 10)).first() is None


def test_bad_policy_rows_are_refused(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "policies.csv",
        "id,name,position,first_response_minutes,resolution_minutes,business_hours,calendar_id,match_priority\n"
        "20,Negative,9,-30,,false,,\n"
        "21,No calendar,9,60,,true,,\n"
        "22,Typo,9,60,,false,,hihg\n",
    )
    summary = run_import(engine, "sla-policies", path, now=NOW, actor="tester")
    assert [str(e) for e in summary.errors] == [
        f"{path}:2: first_response_minutes: -30 minutes: a target must be positive (leave it empty for none)",
        f"{path}:3: calendar_id: business hours need a calendar",
        f"{path}:4: match_priority: unknown 'hihg'; use low, normal, high, urgent",
    ]


def test_own_tickets_table_imports_without_derived_columns(engine: Engine, tmp_path: Path) -> None:
    # Monday 2026-11-23 09:00 UTC, Standard policy: first response due 21:00, resolution Wed 09:00.
    path = write(
        tmp_path,
        "tickets.csv",
        "id,subject,channel,status,created_at,updated_at\n"
        "501,Where is my parcel?,email,new,2026-11-23T09:00:00+00:00,2026-11-23T09:00:00+00:00\n"
        "502,Thanks,email,solved,2026-11-23T09:00:00+00:00,2026-11-23T10:00:00+00:00\n",
    )
    summary = run_import(engine, "tickets", path, now=NOW, actor="tester")
    assert summary.errors == [] and summary.inserted == 2
    with db.read_session(engine) as session:
        open_one, solved = session.get(Ticket, 501), session.get(Ticket, 502)
    assert open_one is not None and solved is not None
    assert open_one.next_due_at == datetime(2026, 11, 23, 21, tzinfo=UTC)
    assert open_one.due_sort_at == open_one.next_due_at and open_one.is_open
    assert solved.is_open is False  # derived from the status when the file leaves it out


def test_zendesk_pause_minutes_count_on_the_policy_calendar() -> None:
    # Berlin, mon-fri 09:00-17:00. Created Mon 2026-11-23 09:00 (08:00 UTC), solved Wed 11-25 09:00:
    # 48 h of wall time, 16 h (960 min) of business time. 1440 calendar minutes on hold = half the
    # ticket's life = 480 business minutes.
    calendar = Calendar.from_json("Europe/Berlin", json.dumps({d: [["09:00", "17:00"]] for d in range(1, 6)}))
    policy = Policy(1, "EU", 240, None, 2880, business_hours=True, calendar=calendar)
    start, end = datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert calendar_pause_on_policy_clock(policy, start, end, 1440) == pytest.approx(480)
    assert calendar_pause_on_policy_clock(None, start, end, 1440) == 1440  # calendar hours: as exported
    assert calendar_pause_on_policy_clock(policy, start, end, 0) == 0


def test_zendesk_import_converts_pauses(engine: Engine, tmp_path: Path) -> None:
    with db.write_session(engine) as session:
        sla_admin.save_calendar(
            session, "Berlin", actor="lead", now=NOW, timezone="Europe/Berlin", weekly_text="mon-fri 09:00-17:00"
        )
        sla_admin.save_policy(
            session, "Standard", {"business_hours": True, "calendar": "Berlin"}, actor="lead", now=NOW
        )
    path = write(
        tmp_path,
        "zendesk.csv",
        "Id,Status,Created at,Updated at,Solved at,Subject,First reply time in minutes,On hold time in minutes\n"
        "9001,solved,2026-11-23T08:00:00Z,2026-11-25T08:00:00Z,2026-11-25T08:00:00Z,Broken zip,30,1440\n",
    )
    summary = run_import(engine, "zendesk", path, now=NOW, actor="tester")
    assert summary.errors == []
    with db.read_session(engine) as session:
        ticket = session.execute(select(Ticket).where(Ticket.external_id == "9001")).scalars().one()
        resolution = {c.metric: c for c in SlaContext(session).clocks(ticket, NOW)}["resolution"]
    assert ticket.paused_minutes == pytest.approx(480)
    # 2880 + 480 business minutes = 7 days of 8 h from Mon 11-23 09:00: Tue 12-01 17:00 Berlin = 16:00 UTC
    # (the calendar minutes read as business minutes gave Thu 12-03: two business days late).
    assert resolution.due_at == datetime(2026, 12, 1, 16, tzinfo=UTC)
    assert resolution.state == "met"


# --- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path):
    from dtc_tui.cli import main_group as main

    database = tmp_path / "cli.db"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(database), "db", "upgrade"]).exit_code == 0  # only db upgrade/init create

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--db", str(database), *args], catch_exceptions=False)
        return result.exit_code, result.output

    return run


def test_cli_sets_up_a_two_calendar_team(cli) -> None:
    assert (
        cli("sla", "calendars", "set", "Berlin", "--timezone", "Europe/Berlin", "--hours", "mon-fri 09:00-17:00")[0]
        == 0
    )
    assert (
        cli(
            "sla", "calendars", "set", "Pacific", "--timezone", "America/Los_Angeles", "--hours", "mon-fri 08:00-17:00"
        )[0]
        == 0
    )
    code, out = cli("sla", "calendars", "holidays", "add", "Berlin", "--country", "DE", "--year", "2026")
    assert code == 0 and "holiday(s) added to 'Berlin'" in out
    code, out = cli("sla", "calendars", "holidays", "add", "Pacific", "2026-11-26", "--name", "Thanksgiving")
    assert code == 0 and out.startswith("1 holiday(s) added")
    code, out = cli(
        "sla", "policies", "set", "US business", "--channel", "phone", "--first-response", "4h",
        "--resolution", "16h", "--business-hours", "--calendar", "Pacific", "--position", "0",
    )  # fmt: skip
    assert code == 0, out
    code, out = cli("sla", "policies", "list")
    assert out.splitlines()[0].split()[:3] == ["0", "US", "business"]
    # Wed 2026-11-25 16:00 PST: 1 h that day, Thanksgiving closed, Fri 08:00 + 3 h = 11:00 PST = 19:00 UTC.
    code, out = cli("sla", "try", "US business", "2026-11-25T16:00-08:00")
    assert out.splitlines()[0].split() == ["first_response", "4h00", "due", "2026-11-27", "19:00", "UTC"]
    code, out = cli("sla", "calendars", "show", "Pacific")
    assert "hours: mon-fri 08:00-17:00" in out and "holiday 2026-11-26 Thu Thanksgiving" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sla", "calendars", "set", "X", "--timezone", "Europe/Berln"), "timezone: unknown time zone 'Europe/Berln'"),
        (("sla", "calendars", "set", "X", "--hours", "mon 9-5"), "weekly_hours: mon: bad time '9'"),
        (("sla", "policies", "set", "X", "--first-response", "0"), "first_response_minutes: 0 minutes"),
        (("sla", "policies", "set", "X", "--business-hours"), "calendar_id: business hours need a calendar"),
        (("sla", "policies", "set", "X", "--calendar", "Nope"), "calendar_id: no calendar 'Nope'"),
        (("sla", "explain", "999"), "ticket 999 does not exist"),
    ],
)
def test_cli_refuses_bad_settings_with_the_field(cli, args: tuple[str, ...], message: str) -> None:
    code, out = cli(*args)
    assert code == 2 and message in out, out  # an input error


def test_cli_explain(tmp_path: Path) -> None:
    from dtc_tui.cli import main_group as main
    from dtc_tui.services.tickets import ops

    database = tmp_path / "explain.db"
    runner = CliRunner()
    runner.invoke(main, ["--db", str(database), "db", "upgrade"], catch_exceptions=False)
    engine = db.make_engine(f"sqlite:///{database}")
    created = datetime(2026, 11, 23, 9, tzinfo=UTC)
    ticket_id = ops.create_ticket(
        engine, subject="Refund?", channel="email", category="payment", priority="urgent", now=created, actor="t"
    )
    ops.add_reply(engine, ticket_id, "Checking", "ana", datetime(2026, 11, 23, 9, 20, tzinfo=UTC))
    ops.set_status(engine, ticket_id, "pending", "ana", datetime(2026, 11, 23, 10, tzinfo=UTC))
    engine.dispose()
    result = runner.invoke(main, ["--db", str(database), "sla", "explain", str(ticket_id)], catch_exceptions=False)
    lines = result.output.splitlines()
    assert lines[1] == "policy: Urgent"
    assert lines[2].startswith("  no    Site incident: priority any, channel any, category 'payment' not in")
    assert lines[3].startswith("  MATCH Urgent: priority 'urgent' in 'urgent'")
    assert "first_response: target 1h00 on calendar hours, met" in result.output
    assert "  paused 0 min before now, paused since 2026-11-23 10:00 UTC" in result.output
    assert "resolution: target 8h00 on calendar hours, paused" in result.output
