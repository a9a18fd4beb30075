"""Mail into tickets from a real IMAP server: Dovecot (the distribution's dovecot-imapd) started by
the test on a loopback port with a temporary config and a passwd-file user, real messages APPENDed.
Skipped with the reason when dovecot is not installed, a failure when DTC_TUI_REQUIRE_DOVECOT is set."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.models import MailCursor, Ticket, TicketMessage
from dtc_tui.services.mail import imap
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.mail.transport import MailServerError, Secret
from tests.mail_samples import MALFORMED, mail
from tests.mail_servers import Dovecot, dovecot_or_skip


@pytest.fixture(scope="module")
def dovecot():
    dovecot_or_skip()
    # Not pytest's tmp_path: its parents are private to root, and dovecot stores mail as its own user.
    root = Path(tempfile.mkdtemp(prefix="dtc-dovecot-"))
    server = Dovecot(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox_folder(dovecot: Dovecot) -> str:
    """A fresh folder per test (the server is shared by the module)."""
    import uuid

    name = f"T{uuid.uuid4().hex[:8]}"
    conn = dovecot.connect()
    try:
        assert conn.create(name)[0] == "OK"
    finally:
        conn.logout()
    return name


def settings_for(dovecot: Dovecot, folder: str, tmp_path: Path, **overrides: object) -> MailSettings:
    values: dict = {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_tls": "none",
        "user": dovecot.user,
        "folder": folder,
        "from_address": "support@shop.example",
        "attachment_dir": str(tmp_path / "att"),
    }
    values.update(overrides)
    return MailSettings(**values)


def fetch(engine: Engine, dovecot: Dovecot, settings: MailSettings, now):
    return imap.fetch_imap(engine, settings, Secret(dovecot.password), now)


def bodies(engine: Engine) -> dict[int, list[str]]:
    with db.read_session(engine) as session:
        found: dict[int, list[str]] = {}
        for m in session.execute(select(TicketMessage).order_by(TicketMessage.id)).scalars():
            found.setdefault(m.ticket_id, []).append(m.body)
        return found


def test_new_mail_threads_and_auto_replies_from_imap(
    engine: Engine, now, tmp_path: Path, dovecot: Dovecot, mailbox_folder: str
) -> None:
    settings = settings_for(dovecot, mailbox_folder, tmp_path)
    dovecot.append(mail(), mailbox_folder)
    report = fetch(engine, dovecot, settings, now)
    assert (report.read, report.tickets) == (1, 1)
    with db.read_session(engine) as session:
        ticket_id = session.execute(select(Ticket.id)).scalar()
    dovecot.append(
        mail(message_id="<r1@example.cz>", in_reply_to="<first@example.cz>", body="by headers"), mailbox_folder
    )
    dovecot.append(mail(message_id="<r2@example.cz>", subject=f"Re: x [#{ticket_id}]", body="by tag"), mailbox_folder)
    dovecot.append(
        mail(message_id="<ooo@example.cz>", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}),
        mailbox_folder,
    )
    report = fetch(engine, dovecot, settings, now)
    assert (report.read, report.tickets, report.messages, report.ignored) == (3, 0, 2, 1)
    thread = bodies(engine)[ticket_id]
    assert len(thread) == 3 and thread[1].startswith("by headers") and thread[2].startswith("by tag")
    # Processed mail is flagged \Seen; the cursor remembers the last UID, so nothing is read twice.
    assert all(b"\\Seen" in flags for flags in dovecot.flags(mailbox_folder))
    assert fetch(engine, dovecot, settings, now).read == 0
    with db.read_session(engine) as session:
        cursor = session.execute(select(MailCursor).where(MailCursor.source.contains(mailbox_folder))).scalars().one()
    assert cursor.last_uid == 4 and cursor.uidvalidity > 0


def test_html_only_malformed_and_a_20_mb_attachment(
    engine: Engine, now, tmp_path: Path, dovecot: Dovecot, mailbox_folder: str
) -> None:
    settings = settings_for(dovecot, mailbox_folder, tmp_path)
    dovecot.append(
        mail(message_id="<h@example.cz>", html="<p>Only <i>HTML</i> here</p>", html_only=True), mailbox_folder
    )
    dovecot.append(MALFORMED, mailbox_folder)
    video = bytes(range(256)) * (20 * 1024 * 4)  # 20 MB
    dovecot.append(
        mail(
            message_id="<big@example.cz>",
            subject="my unboxing video",
            attachments=[("unboxing.mp4", "video/mp4", video)],
        ),
        mailbox_folder,
    )
    report = fetch(engine, dovecot, settings, now)
    assert (report.tickets, report.unreadable) == (2, 1)
    texts = [b[0] for b in bodies(engine).values()]
    assert any("Only HTML here" in t and "[HTML-only mail, shown as text]" in t for t in texts)
    [big] = [t for t in texts if "unboxing.mp4" in t]
    assert "unboxing.mp4 (video/mp4, 20.0 MB) saved as" in big
    [saved] = list((tmp_path / "att").rglob("*unboxing.mp4"))
    assert saved.stat().st_size == len(video) and saved.read_bytes() == video


def test_a_mail_over_the_limit_is_read_as_headers_with_a_note(
    engine: Engine, now, tmp_path: Path, dovecot: Dovecot, mailbox_folder: str
) -> None:
    settings = settings_for(dovecot, mailbox_folder, tmp_path, max_message_mb=5.0)
    dovecot.append(mail(attachments=[("scan.pdf", "application/pdf", b"%" * (8 * 1024 * 1024))]), mailbox_folder)
    assert fetch(engine, dovecot, settings, now).tickets == 1
    [[body]] = bodies(engine).values()
    assert "over the 5.0 MB limit (max_message_mb): only its headers were read" in body
    assert "this mail is 10." in body or "this mail is 11." in body  # its real size, from the server


def test_processed_mail_can_be_moved_to_a_folder(
    engine: Engine, now, tmp_path: Path, dovecot: Dovecot, mailbox_folder: str
) -> None:
    settings = settings_for(dovecot, mailbox_folder, tmp_path, processed_folder="Processed")
    dovecot.append(mail(message_id="<move@example.cz>"), mailbox_folder)
    assert fetch(engine, dovecot, settings, now).tickets == 1
    assert dovecot.flags(mailbox_folder) == []


def test_wrong_password_and_missing_folder_are_clear_errors(
    engine: Engine, now, tmp_path: Path, dovecot: Dovecot, mailbox_folder: str
) -> None:
    settings = settings_for(dovecot, mailbox_folder, tmp_path)
    with pytest.raises(MailServerError) as wrong:
        imap.fetch_imap(engine, settings, Secret("not-the-password"), now)
    assert "not-the-password" not in str(wrong.value) and "IMAP 127.0.0.1" in str(wrong.value)
    with pytest.raises(MailServerError, match="select NoSuchFolder"):
        fetch(engine, dovecot, settings_for(dovecot, "NoSuchFolder", tmp_path), now)
    assert "has 0 mails" in imap.test_imap(settings, Secret(dovecot.password))
