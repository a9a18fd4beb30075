"""Triage safety (issue 19): the palette finds the screen's actions, pickers open on the current
value and a no-op writes nothing, q in a sub-view goes back, the import dialog's dry run.

Driven by keys with Pilot on a copy of the demo database; asserted on screen and in the database.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AuditLog, PurchaseOrder, Ticket
from dtc_tui.services.tickets import ops
from dtc_tui.ui.screens.tickets.view import TicketScreen
from dtc_tui.ui.widgets.modals import TextModal
from dtc_tui.ui.widgets.window_table import WindowTable
from tests.conftest import make_app, screen_text

KEY_NAMES = {" ": "space", ":": "colon", "/": "slash", ".": "full_stop", "_": "underscore", "-": "minus"}


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press(KEY_NAMES.get(char, char))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def ticket(engine: Engine, ticket_id: int) -> Ticket:
    with db.read_session(engine) as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


def audit_rows(engine: Engine, ticket_id: int) -> int:
    with db.read_session(engine) as session:
        return session.execute(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "ticket", AuditLog.entity_id == str(ticket_id))
        ).scalar_one()


def queue(app) -> WindowTable:
    return app.screen.query_one("#queue", WindowTable)


# --- command palette ------------------------------------------------------------------------------


async def palette_lines(pilot, query: str) -> str:
    await pilot.press("ctrl+p")
    await type_text(pilot, query)
    await pilot.pause(0.3)  # the palette searches in a worker
    return screen_text(pilot.app)


async def test_palette_claims_the_ticket_under_the_cursor(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "assignee:none")
        await pilot.press("enter")
        await settle(pilot)
        row = queue(app).cursor_row
        assert row.assignee_id is None
        text = await palette_lines(pilot, "claim")
        assert "No matches found" not in text
        assert "Claim" in text and "Key c" in text
        assert "Delete character" not in text  # nothing from the palette's own input
        await pilot.press("enter")
        await settle(pilot)
        assert ticket(sqlite_demo_engine, row.id).assignee_id is not None


async def test_palette_drafts_a_po_on_stock(sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="inventory")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        with db.read_session(sqlite_demo_engine) as session:
            before = session.execute(select(func.count()).select_from(PurchaseOrder)).scalar_one()
        text = await palette_lines(pilot, "draft")
        assert "Draft PO" in text and "Key b" in text
        await pilot.press("enter")
        await settle(pilot)
        with db.read_session(sqlite_demo_engine) as session:
            after = session.execute(select(func.count()).select_from(PurchaseOrder)).scalar_one()
        assert after == before + 1
        assert any("Drafted" in n.message for n in app._notifications)


async def test_palette_changes_the_ads_period(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = app.screen.period.preset
        text = await palette_lines(pilot, "period")
        assert "Period" in text and "Key p" in text
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.period.preset != before


async def test_palette_lists_go_to_entries_and_no_input_widget_keys(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    from dtc_tui.ui.commands import screen_actions

    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        descriptions = {description for description, _keys, _action, _node in screen_actions(app.screen)}
        assert {"Claim", "Status", "Priority", "Filter", "KPIs", "Quit"} <= descriptions
        text = await palette_lines(pilot, "stock")
        assert "Go to Inventory (Stock)" in text and "key 2" in text, text
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "inventory"


# --- pickers open on the current value; a no-op writes nothing ---------------------------------------


async def test_status_and_priority_pickers_open_on_the_current_value(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "status:open")
        await pilot.press("enter")
        await settle(pilot)
        row = queue(app).cursor_row
        assert row.status == "open"
        before = ticket(sqlite_demo_engine, row.id)
        audits = audit_rows(sqlite_demo_engine, row.id)
        await pilot.press("s", "enter")
        await settle(pilot)
        await pilot.press("p", "enter")
        await settle(pilot)
        after = ticket(sqlite_demo_engine, row.id)
        assert (after.status, after.priority, after.policy_id, after.version) == (
            before.status,
            before.priority,
            before.policy_id,
            before.version,
        )
        assert audit_rows(sqlite_demo_engine, row.id) == audits  # no audit row for a no-op
        assert app.undo_stack == []
        assert any("nothing changed" in n.message for n in app._notifications)
        # One step down from the current value is a real change, audited once.
        await pilot.press("s", "j", "enter")
        await settle(pilot)
        assert ticket(sqlite_demo_engine, row.id).status == "pending"
        assert audit_rows(sqlite_demo_engine, row.id) == audits + 1


async def test_assign_picker_opens_on_the_current_assignee_in_the_ticket_view(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "assignee:ana")
        await pilot.press("enter")
        await settle(pilot)
        row = queue(app).cursor_row
        await pilot.press("enter")  # the ticket view
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        audits = audit_rows(sqlite_demo_engine, row.id)
        await pilot.press("a", "enter")
        await settle(pilot)
        assert ticket(sqlite_demo_engine, row.id).assignee_id == row.assignee_id
        assert audit_rows(sqlite_demo_engine, row.id) == audits


async def test_tags_are_appended_not_replaced(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = queue(app).cursor_row
        ops.set_tags(sqlite_demo_engine, row.id, "wismo refund", "someone", clock.now())
        queue(app).reload()
        await settle(pilot)
        old_tags = "wismo refund"
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TextModal)
        field = app.screen.query_one("#text")
        assert field.selection.is_empty  # type: ignore[attr-defined]
        assert field.cursor_position == len(old_tags)  # type: ignore[attr-defined]
        await type_text(pilot, " vip")
        await pilot.press("enter")
        await settle(pilot)
        assert ticket(sqlite_demo_engine, row.id).tags.split() == [*old_tags.split(), "vip"]


# --- q goes back from a sub-view, quits from an area screen --------------------------------------


async def test_q_goes_back_from_sub_views_and_quits_from_an_area(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(sqlite_demo_engine, clock, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue_screen = app.screen
        # Ticket view, KPIs, orders (Enter in its find box moves to the table: in a text box q is a letter).
        for opening_keys in (["enter"], ["K"], ["O", "enter"]):
            await pilot.press(*opening_keys)
            await settle(pilot)
            assert app.screen is not queue_screen
            assert "Quit" not in screen_text(app).splitlines()[-1]  # the footer no longer says q quits
            await pilot.press("q")
            await settle(pilot)
            assert app.is_running
            assert app.screen is queue_screen
        await pilot.press("2", "p")  # the PO list of the stock area
        await settle(pilot)
        assert type(app.screen).__name__ == "PoListScreen"
        await pilot.press("q")
        await settle(pilot)
        assert type(app.screen).__name__ == "InventoryScreen"
        assert app.is_running
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0  # q on an area's own screen quits, as before
