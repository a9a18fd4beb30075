"""``dtc-tui tickets list|show`` and ``dtc-tui sla check|report`` headless: filters, views, the
--json shapes and the exit codes (0 ok, 1 needs attention, 2 a user error)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select

from dtc_tui import clock as clock_module
from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.models import SlaBreach
from dtc_tui.models.enums import Channel
from tests.conftest import FIXED_NOW

QUEUE_ROW_KEYS = {
    "id",
    "priority",
    "channel",
    "language",
    "customer",
    "subject",
    "category",
    "assignee",
    "assignee_id",
    "status",
    "next_due_at",
    "next_risk_at",
    "next_due_metric",
    "created_at",
    "version",
    "draft",  # the operator running the command has an unsent reply draft on it
}


@pytest.fixture(autouse=True)
def _frozen_cli_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)  # the CLI's SystemClock reads this


def run(engine: Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main_group, ["--db", url, *args], catch_exceptions=False)


def as_json(result: Result) -> dict:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_tickets_list_text_is_soonest_breach_first_with_a_count(sqlite_demo_engine: Engine) -> None:
    result = run(sqlite_demo_engine, "tickets", "list", "--limit", "5")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert lines[0].split()[:3] == ["295", "-1d3h", "breached"]
    assert "5 of 300 tickets" in result.stderr  # the count goes to stderr, the rows stay pipeable


def test_tickets_list_json_shape_and_order(sqlite_demo_engine: Engine) -> None:
    data = as_json(run(sqlite_demo_engine, "tickets", "list", "--limit", "3", "--json"))
    assert data["total"] == 300
    assert len(data["tickets"]) == 3
    for row in data["tickets"]:
        assert set(row) == QUEUE_ROW_KEYS | {"sla_state", "sla_left"}
    due = [row["next_due_at"] for row in data["tickets"]]
    assert due == sorted(due)
    assert data["tickets"][0]["id"] == 295 and data["tickets"][0]["sla_state"] == "breached"


def test_tickets_list_views_and_filters(sqlite_demo_engine: Engine) -> None:
    everything = as_json(run(sqlite_demo_engine, "tickets", "list", "--limit", "1000", "--json"))["tickets"]
    breached = as_json(run(sqlite_demo_engine, "tickets", "list", "--view", "breached", "--limit", "1000", "--json"))
    assert breached["total"] == 51
    assert {row["sla_state"] for row in breached["tickets"]} == {"breached"}
    # Dashes work as well as underscores.
    unassigned = as_json(run(sqlite_demo_engine, "tickets", "list", "--view", "at-risk", "--json"))
    assert {row["sla_state"] for row in unassigned["tickets"]} == {"at_risk"}

    chosen = as_json(
        run(sqlite_demo_engine, "tickets", "list", "--filter", "ch:chat prio:high,urgent", "--limit", "1000", "--json")
    )
    expected = [r["id"] for r in everything if r["channel"] == "chat" and r["priority"] in ("high", "urgent")]
    assert expected and [r["id"] for r in chosen["tickets"]] == expected
    assert chosen["total"] == len(expected)

    left_out = as_json(run(sqlite_demo_engine, "tickets", "list", "--filter", "-ch:email", "--limit", "1000", "--json"))
    assert left_out["total"] == sum(1 for r in everything if r["channel"] != "email")
    assert "email" not in {r["channel"] for r in left_out["tickets"]}

    nobody = as_json(run(sqlite_demo_engine, "tickets", "list", "--view", "unassigned", "--limit", "1000", "--json"))
    assert nobody["total"] == sum(1 for r in everything if r["assignee_id"] is None)
    assert {r["assignee_id"] for r in nobody["tickets"]} == {None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--filter", "prio:hgh"], "unknown priority 'hgh'; one of: low, normal, high, urgent"),
        (["--view", "nonsense"], "unknown view 'nonsense'"),
    ],
)
def test_tickets_list_user_errors_exit_2(sqlite_demo_engine: Engine, args: list[str], message: str) -> None:
    result = run(sqlite_demo_engine, "tickets", "list", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_tickets_show_text_json_and_a_missing_ticket(sqlite_demo_engine: Engine) -> None:
    text = run(sqlite_demo_engine, "tickets", "show", "3")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == "#3 Wo ist meine Bestellung #10003?"
    assert lines[1].split() == ["new", "/", "high", "/", "chat", "/", "de", "/", "logistics"]
    assert "policy Standard" in lines[2]
    assert lines[3].split() == ["first_response", "breached", "-1d2h"]
    assert any(line.startswith("--- 2026-11-18 23:20 customer") for line in lines)

    data = as_json(run(sqlite_demo_engine, "tickets", "show", "3", "--json"))
    assert (data["id"], data["status"], data["priority"], data["channel"]) == (3, "new", "high", "chat")
    assert data["policy"] == "Standard" and data["order_ref"] == "#10003"
    assert [c["metric"] for c in data["clocks"]][:1] == ["first_response"]
    assert data["clocks"][0]["state"] == "breached" and data["clocks"][0]["remaining_minutes"] < 0
    assert data["messages"] and data["messages"][0]["kind"] == "customer"

    missing = run(sqlite_demo_engine, "tickets", "show", "99999")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == "Error: ticket 99999 does not exist"
    assert run(sqlite_demo_engine, "tickets", "show", "three").exit_code == 2  # not a number: usage error


def test_sla_check_exits_1_and_lists_breached_and_at_risk(sqlite_demo_engine: Engine) -> None:
    text = run(sqlite_demo_engine, "sla", "check", "--limit", "2")
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0] == "breached: 51"
    assert lines[1].split()[:3] == ["#295", "-1d3h", "first_response"]
    assert "at risk: 11" in lines

    data = as_json(run(sqlite_demo_engine, "sla", "check", "--json", "--limit", "1"))
    assert set(data) == {"now", "new_breaches_recorded", "breached", "at_risk"}
    assert data["now"] == "2026-11-20T14:00:00+00:00"
    assert (data["breached"]["count"], data["at_risk"]["count"]) == (51, 11)
    assert len(data["breached"]["tickets"]) == 1
    assert set(data["breached"]["tickets"][0]) == QUEUE_ROW_KEYS


def test_sla_check_records_new_breaches_once(sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    later = FIXED_NOW + timedelta(hours=6)  # the at-risk tickets are past due by then
    monkeypatch.setattr(clock_module, "utcnow", lambda: later)
    with db.read_session(sqlite_demo_engine) as session:
        before = session.execute(select(func.count()).select_from(SlaBreach)).scalar_one()
    first = as_json(run(sqlite_demo_engine, "sla", "check", "--json"))
    assert first["new_breaches_recorded"] > 0
    with db.read_session(sqlite_demo_engine) as session:
        after = session.execute(select(func.count()).select_from(SlaBreach)).scalar_one()
    assert after - before == first["new_breaches_recorded"]
    assert as_json(run(sqlite_demo_engine, "sla", "check", "--json"))["new_breaches_recorded"] == 0


def test_sla_check_exits_0_when_nothing_is_due(engine: Engine) -> None:
    result = run(engine, "sla", "check")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["breached: 0", "at risk: 0"]
    data = json.loads(run(engine, "sla", "check", "--json").stdout)
    assert data["breached"] == {"count": 0, "tickets": []} and data["new_breaches_recorded"] == 0


def test_sla_report_text_json_and_groups(sqlite_demo_engine: Engine) -> None:
    text = run(sqlite_demo_engine, "sla", "report")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == "Support KPIs 2026-11-14 .. 2026-11-20 14:00 UTC (694 created, 480 solved)"
    assert lines[1].split()[:3] == ["!!", "First-response", "SLA"]
    assert any(line.split()[:1] == ["ok"] for line in lines[1:])

    data = as_json(run(sqlite_demo_engine, "sla", "report", "--by", "channel", "--json"))
    assert (data["start"], data["end"]) == ("2026-11-14T00:00:00+00:00", "2026-11-20T14:00:00+00:00")
    assert data["overall"]["tickets_created"] == 694 and data["overall"]["tickets_solved"] == 480
    fr = data["overall"]["kpis"]["fr_sla"]
    assert set(fr) >= {"label", "value", "target", "ok", "text"}
    assert (fr["text"], fr["ok"]) == ("89.0%", False)
    assert set(data["groups"]["channel"]) <= {c.value for c in Channel}
    created = sum(g["tickets_created"] for g in data["groups"]["channel"].values())
    assert created == data["overall"]["tickets_created"]

    agents = run(sqlite_demo_engine, "sla", "report", "--period", "30d", "--by", "agent")
    assert agents.exit_code == 0
    names = [line.split()[0] for line in agents.stdout.splitlines() if " created " in line]
    assert "unassigned" in names and "ana" in names


@pytest.mark.parametrize(
    "args",
    [["--period", "fortnight"], ["--by", "planet"]],
)
def test_sla_report_user_errors_exit_2(sqlite_demo_engine: Engine, args: list[str]) -> None:
    result = run(sqlite_demo_engine, "sla", "report", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output
