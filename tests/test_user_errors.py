"""One UserError base, caught once in the CLI (one line, exit 2) and once in the app (a notification)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import errors
from dtc_tui.cli import main_group
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.services.ads import report as ads_report
from dtc_tui.services.inventory import purchasing, stock_state
from dtc_tui.services.team import ops as team_ops
from dtc_tui.services.tickets import ops as ticket_ops
from tests.conftest import make_app


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ticket_ops.StaleEdit, (ticket_ops.TicketError, errors.StaleEdit)),
        (team_ops.StaleEdit, (team_ops.TeamError, errors.StaleEdit)),
        (purchasing.StaleEdit, (purchasing.PurchasingError, errors.StaleEdit, ValueError)),
        (ads_report.StaleEdit, (ads_report.TargetError, errors.StaleEdit, ValueError)),
        (ticket_ops.TicketNotFound, (ticket_ops.TicketError, errors.NotFound)),
        (ticket_ops.ClaimConflict, (ticket_ops.TicketError, errors.Conflict)),
        (stock_state.InventoryError, (errors.UserError, ValueError)),
    ],
)
def test_every_area_error_is_a_user_error(error: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    assert issubclass(error, errors.UserError)
    for base in bases:
        assert issubclass(error, base)


def test_a_user_error_in_a_command_is_one_line_and_exit_2() -> None:
    @main_group.command("raise-user-error-for-test")
    def boom() -> None:
        raise errors.StaleEdit("ticket 7 was changed by someone else; reload and try again")

    try:
        result = CliRunner().invoke(main_group, ["raise-user-error-for-test"])
    finally:
        main_group.commands.pop("raise-user-error-for-test")
    assert result.exit_code == 2
    assert result.stderr == "Error: ticket 7 was changed by someone else; reload and try again\n"
    assert "Traceback" not in result.output


def test_a_bug_is_not_a_user_error() -> None:
    @main_group.command("raise-bug-for-test")
    def boom() -> None:
        raise KeyError("oops")

    try:
        result = CliRunner().invoke(main_group, ["raise-bug-for-test"])
    finally:
        main_group.commands.pop("raise-bug-for-test")
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)


def test_a_bad_period_option_is_one_line_exit_2(sqlite_demo_engine: Engine) -> None:
    url = sqlite_demo_engine.url.render_as_string(hide_password=False)
    for args in (["sla", "report", "--period", "fortnight"], ["audit", "--since", "yesterday-ish"]):
        result = CliRunner().invoke(main_group, ["--db", url, *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and "is not a" in result.stderr


async def test_a_stale_edit_in_the_app_is_a_notification(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        row = app.screen.query_one("#queue").cursor_row
        # someone else changes the ticket after the queue showed it
        ticket_ops.set_priority(sqlite_demo_engine, row.id, "low", "ana", clock.now())
        await pilot.press("p")  # the picker opens on the shown priority: pick another one
        await pilot.press("end" if row.priority == "urgent" else "home")
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        notes = [n for n in app._notifications if n.title == "Changed by someone else"]
        assert notes and notes[-1].severity == "warning"
        from dtc_tui import db
        from dtc_tui.models import Ticket

        with db.read_session(sqlite_demo_engine) as session:
            stored = session.get(Ticket, row.id)
            assert stored is not None and stored.priority == "low"  # the stale edit was not applied


async def test_a_user_error_from_any_action_is_a_notification(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dtc_tui.ui.screens.tickets.queue import TicketsScreen

    def refuse(self: object) -> None:
        raise errors.NotFound("ticket 99999 does not exist")

    monkeypatch.setattr(TicketsScreen, "action_kpis", refuse)
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("K")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert any(n.message == "ticket 99999 does not exist" and n.title == "Not found" for n in app._notifications)
        await pilot.press("v")  # the screen still takes keys
        await pilot.pause()
        assert app.screen.view != "all_open"
