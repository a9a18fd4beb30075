"""The app on a busy or vanished database: no crash, nothing typed is lost (issue 16)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, select
from textual.widgets import TextArea

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Ticket, TicketMessage
from dtc_tui.ui.screens.tickets.reply import ReplyScreen
from tests.conftest import make_app


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


REPLY = "Your parcel left the warehouse today; tracking follows."


async def test_claim_and_reply_while_another_process_holds_the_write_lock(
    sqlite_demo_engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)  # each attempt gives up after 0.2 s
    path = str(sqlite_demo_engine.url.database)
    engine = db.make_engine(f"sqlite:///{path}")
    app = make_app(engine, clock, Settings(operator="ana"))
    holder = sqlite3.connect(path, isolation_level=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        row = app.screen.query_one("#queue").cursor_row
        holder.execute("BEGIN IMMEDIATE")  # an import, a backup...: holds the lock past the timeout
        holder.execute("UPDATE change_counter SET counter = counter WHERE 0")
        await pilot.press("c")
        await pilot.pause()
        assert any("the database is busy" in n.message for n in app._notifications), messages(app)
        await pilot.press("r")
        await pilot.pause()
        app.screen.query_one(TextArea).text = REPLY
        await pilot.press("ctrl+s")
        await pilot.pause()
        # Not saved, and the reply is back in front of the operator, as typed.
        assert isinstance(app.screen, ReplyScreen)
        assert app.screen.query_one(TextArea).text == REPLY
        holder.execute("ROLLBACK")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ReplyScreen)
        assert any("reply recorded" in n.message for n in app._notifications), messages(app)
    holder.close()
    assert app.return_code in (None, 0)
    with db.read_session(engine) as session:
        bodies = session.execute(select(TicketMessage.body).where(TicketMessage.ticket_id == row.id)).scalars().all()
        assert REPLY in bodies
        assert session.get(Ticket, row.id) is not None
    engine.dispose()


@pytest.mark.slow
async def test_an_import_holds_the_database_while_the_operator_claims_and_replies(
    sqlite_demo_engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """A real import in another process, stopped inside its write transaction: the claim is refused
    with a notification naming the import and who runs it, the reply comes back as typed; the import
    is then killed (-9): nothing of it is written, its activity row is stale, the reply saves."""
    import os
    import random
    import signal

    from bench.imports import write_tickets
    from dtc_tui.services.common import activity
    from tests.test_shared_box import spawn

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    path = str(sqlite_demo_engine.url.database)
    file = tmp_path / "zendesk.csv"
    write_tickets(file, 300, random.Random(5))
    engine = db.make_engine(f"sqlite:///{path}")
    app = make_app(engine, clock, Settings(operator="ben"))
    importer = spawn("stalled_import", {"url": f"sqlite:///{path}", "path": str(file), "actor": "ana"})
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            row = app.screen.query_one("#queue").cursor_row
            assert importer.stdout is not None
            assert importer.stdout.readline().strip() == "IN-APPLY"
            await pilot.press("c")
            await pilot.pause()
            busy = [n.message for n in app._notifications if "the database is busy" in n.message]
            assert busy and "an import by ana (zendesk zendesk.csv) is running" in busy[0], messages(app)
            await pilot.press("r")
            await pilot.pause()
            app.screen.query_one(TextArea).text = REPLY
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ReplyScreen)
            assert app.screen.query_one(TextArea).text == REPLY  # kept, as typed
            os.kill(importer.pid, signal.SIGKILL)
            importer.wait(timeout=30)
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not isinstance(app.screen, ReplyScreen)
            assert any("reply recorded" in n.message for n in app._notifications), messages(app)
        assert app.return_code in (None, 0)
    finally:
        if importer.poll() is None:
            importer.kill()
    with db.read_session(engine) as session:
        bodies = session.execute(select(TicketMessage.body).where(TicketMessage.ticket_id == row.id)).scalars().all()
        assert REPLY in bodies
        assert not session.execute(select(Ticket.id).where(Ticket.source == "zendesk")).first()  # all or nothing
    assert activity.holders(engine, clock.now()) == []  # the killed import's row is stale
    engine.dispose()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_deleted_or_replaced_database_file_blocks_writes_with_a_banner(
    sqlite_demo_engine: Engine, clock: FixedClock, tmp_path, how: str
) -> None:
    import os
    import shutil

    path = str(sqlite_demo_engine.url.database)
    app = make_app(sqlite_demo_engine, clock, Settings(operator="ana"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        row = app.screen.query_one("#queue").cursor_row
        if how == "deleted":
            os.unlink(path)
        else:
            shutil.copy(path, tmp_path / "other.db")
            os.replace(tmp_path / "other.db", path)
        app.check_for_changes()  # what the sync timer runs every second
        await pilot.pause()
        banner = [n for n in app._notifications if f"was {how}" in n.message]
        assert banner and banner[0].title == "Database gone: writes blocked", messages(app)
        shown = app.screen.query_one("#db-banner")  # a real banner widget, not only a toast
        assert shown.display and f"was {how}" in str(shown.render())
        await pilot.press("c")
        await pilot.pause()
        assert sum(f"was {how}" in n.message for n in app._notifications) >= 2, messages(app)  # the claim refused
        await pilot.press("4")  # another area: the banner is there too
        await pilot.pause()
        app.check_for_changes()
        await pilot.pause()
        assert app.screen.query("#db-banner"), "no banner on the team screen"
    assert app.return_code in (None, 0)
    if how == "deleted":
        assert not os.path.exists(path)  # nothing re-created an empty database in its place
    else:
        with sqlite3.connect(path) as conn:
            assignee = conn.execute("SELECT assignee_id FROM ticket WHERE id = ?", (row.id,)).fetchone()[0]
        assert assignee == row.assignee_id  # the claim did not go into the replaced file either
