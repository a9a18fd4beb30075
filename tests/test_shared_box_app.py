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
from dtc_tui.ui.widgets.modals import TextModal
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
        assert isinstance(app.screen, TextModal)
        assert app.screen.query_one(TextArea).text == REPLY
        holder.execute("ROLLBACK")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, TextModal)
        assert any("reply recorded" in n.message for n in app._notifications), messages(app)
    holder.close()
    assert app.return_code in (None, 0)
    with db.read_session(engine) as session:
        bodies = session.execute(select(TicketMessage.body).where(TicketMessage.ticket_id == row.id)).scalars().all()
        assert REPLY in bodies
        assert session.get(Ticket, row.id) is not None
    engine.dispose()
