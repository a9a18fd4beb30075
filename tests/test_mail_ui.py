"""The email channel in the app (Pilot): reply with r, the app's worker mails it to a real SMTP
server, the ticket view shows queued -> sent; a dead server costs the key press nothing, the
reply waits with its reason, and R sends it again once the server is back."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import Outbox, TicketMessage
from dtc_tui.services.mail import inbound
from dtc_tui.services.mail.settings import MailSettings
from tests.conftest import make_app, screen_text
from tests.mail_samples import mail, maildir
from tests.mail_servers import SmtpServer


def mail_ticket(engine: Engine, tmp_path: Path, now) -> int:
    maildir(tmp_path / "Maildir", mail(subject="Broken zipper", message_id="<zip@example.cz>"))
    inbound.fetch_maildir(engine, MailSettings(), now, str(tmp_path / "Maildir"))
    with db.read_session(engine) as session:
        return session.execute(
            select(TicketMessage.ticket_id).where(TicketMessage.message_id == "<zip@example.cz>")
        ).scalar_one()


def mail_config(port: int) -> dict:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
        "from_address": "support@shop.example",
        "send_seconds": 1,
        "timeout_seconds": 3,
    }


async def wait_until(pilot, condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.1)
    return condition()


async def open_ticket_and_reply(app, pilot, ticket_id: int, text: str) -> None:
    from dtc_tui.ui.screens.tickets.view import TicketScreen

    app.push_screen(TicketScreen(ticket_id))
    await pilot.pause()
    await pilot.press("r")
    for char in text:
        await pilot.press(char)
    await pilot.press("ctrl+s")


def outbox_status(engine: Engine) -> str | None:
    with db.read_session(engine) as session:
        return session.execute(select(Outbox.status)).scalar()


async def test_reply_in_the_app_arrives_and_shows_sent(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    ticket_id = mail_ticket(sqlite_demo_engine, tmp_path, clock.now())
    server = SmtpServer().start()
    try:
        app = make_app(sqlite_demo_engine, clock, replace(settings, sync_seconds=0.2, mail=mail_config(server.port)))
        async with app.run_test(size=(120, 40)) as pilot:
            await open_ticket_and_reply(app, pilot, ticket_id, "Sending a new one")
            assert await wait_until(pilot, lambda: len(server.received) == 1)
            msg = server.received[0].message
            assert msg["To"] == "Jana Nováková <jana@example.cz>"
            assert msg["Subject"] == f"Re: Broken zipper [#{ticket_id}]"
            assert msg["In-Reply-To"] == "<zip@example.cz>"
            assert "Sending a new one" in msg.get_content()
            assert await wait_until(pilot, lambda: "mail: sent 20 Nov 14:00 to jana@example.cz" in screen_text(app))
            assert outbox_status(sqlite_demo_engine) == "sent"
    finally:
        server.stop()


async def test_a_dead_server_costs_the_key_press_nothing_and_R_retries(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    ticket_id = mail_ticket(sqlite_demo_engine, tmp_path, clock.now())
    # A server that takes the connection and never answers: the worst case for a sender.
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(5)
    port = black_hole.getsockname()[1]
    app = make_app(sqlite_demo_engine, clock, replace(settings, sync_seconds=0.2, mail=mail_config(port)))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ticket_and_reply(app, pilot, ticket_id, "Hello")
        # The key press is done while the worker still waits for the server's greeting.
        assert outbox_status(sqlite_demo_engine) in ("queued", "sending")
        assert "Hello" in screen_text(app)
        assert await wait_until(pilot, lambda: outbox_status(sqlite_demo_engine) == "retrying")
        assert await wait_until(pilot, lambda: "timed out" in screen_text(app)), screen_text(app)
        assert "mail: queued, retry 14:01 (attempt 1)" in screen_text(app)
        black_hole.close()
        server = SmtpServer(port=port).start()
        try:
            await pilot.press("R")
            assert await wait_until(pilot, lambda: len(server.received) == 1)
            assert await wait_until(pilot, lambda: "mail: sent" in screen_text(app))
        finally:
            server.stop()


async def test_a_mistake_in_the_mail_settings_is_said_and_replies_are_still_recorded(
    sqlite_demo_engine: Engine, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    ticket_id = mail_ticket(sqlite_demo_engine, tmp_path, clock.now())
    bad = {**mail_config(25), "password": "hunter2"}
    app = make_app(sqlite_demo_engine, clock, replace(settings, mail=bad))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        said = [n.message for n in app._notifications]  # the toast layer is not in the screenshot
        assert any("must not be in the config file" in m for m in said)
        assert not any("hunter2" in m for m in said) and "hunter2" not in screen_text(app)
        await open_ticket_and_reply(app, pilot, ticket_id, "Noted")
        await pilot.pause()
        assert outbox_status(sqlite_demo_engine) is None  # mail is off: recorded, not queued
        with db.read_session(sqlite_demo_engine) as session:
            kinds = session.execute(select(TicketMessage.kind).where(TicketMessage.ticket_id == ticket_id)).scalars()
            assert "reply" in list(kinds)
