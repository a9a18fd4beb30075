"""Replies to customers over a real SMTP server (aiosmtpd on a loopback port): the outbox row is
written with the reply, headers thread in the customer's client, failures retry with backoff, a
refusal fails with its reason, two processes never send one reply twice, the password stays out."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.models import AuditLog, Customer, Outbox, TicketMessage
from dtc_tui.services.mail import inbound, outbound, outbox
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.mail.transport import Secret
from dtc_tui.services.tickets import ops
from tests.mail_samples import TEAM, mail, maildir
from tests.mail_servers import SmtpServer, free_port


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def mail_settings(port: int, **overrides: object) -> MailSettings:
    values: dict = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_tls": "none",
        "from_address": TEAM,
        "from_name": "Shop Support",
        "signatures": {"tester": "Tess\nShop Support"},
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return MailSettings(**values)


def ticket_from_mail(engine: Engine, now, tmp_path: Path, settings: MailSettings) -> int:
    """A ticket the way it arrives: the customer's mail, read from a Maildir."""
    maildir(tmp_path / "Maildir", mail(subject="Wo ist mein Paket? 📦", message_id="<m1@example.cz>"))
    inbound.fetch_maildir(engine, settings, now, str(tmp_path / "Maildir"))
    with db.read_session(engine) as session:
        return session.execute(select(TicketMessage.ticket_id)).scalar()


def reply(
    engine: Engine, ticket_id: int, settings: MailSettings, now, text: str = "Ihr Paket ist unterwegs."
) -> ops.Change:
    return ops.add_reply(engine, ticket_id, text, "tester", now, mail_from=outbox.reply_identity(settings, "tester"))


def outbox_rows(engine: Engine) -> list[Outbox]:
    with db.read_session(engine) as session:
        return list(session.execute(select(Outbox).order_by(Outbox.id)).scalars())


def test_reply_is_queued_in_its_own_transaction_and_sent_threaded(engine: Engine, now, tmp_path: Path, smtp) -> None:
    settings = mail_settings(smtp.port)
    ticket_id = ticket_from_mail(engine, now, tmp_path, settings)
    change = reply(engine, ticket_id, settings, now)
    assert change.message == "reply queued to jana@example.cz"
    [row] = outbox_rows(engine)
    assert row.status == "queued" and row.in_reply_to == "<m1@example.cz>"
    with db.read_session(engine) as session:
        stored = session.get(TicketMessage, row.ticket_message_id)
    assert stored.kind == "reply" and stored.message_id == row.message_id  # generated once, stored

    report = outbound.send_due(engine, settings, Secret(""), now)
    assert report.sent == [row.id]
    [received] = smtp.received
    msg = received.message
    assert received.recipients == ["jana@example.cz"] and received.envelope_from == TEAM
    assert msg["From"] == "Shop Support <support@shop.example>"
    assert msg["To"] == "Jana Nováková <jana@example.cz>"
    assert msg["Subject"] == f"Re: Wo ist mein Paket? 📦 [#{ticket_id}]"
    assert msg["Message-ID"] == row.message_id
    assert msg["In-Reply-To"] == "<m1@example.cz>" and msg["References"] == "<m1@example.cz>"
    assert msg["Auto-Submitted"] is None  # a person wrote it
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == "Ihr Paket ist unterwegs.\n\n-- \nTess\nShop Support\n"
    [row] = outbox_rows(engine)
    assert (row.status, row.sent_at, row.attempts) == ("sent", now, 1)
    # Nothing is sent twice.
    assert outbound.send_due(engine, settings, Secret(""), now + timedelta(hours=1)).sent == []
    assert len(smtp.received) == 1


def test_the_customers_answer_to_our_reply_threads_back(engine: Engine, now, tmp_path: Path, smtp) -> None:
    settings = mail_settings(smtp.port, maildir=str(tmp_path / "Maildir"))
    ticket_id = ticket_from_mail(engine, now, tmp_path, settings)
    reply(engine, ticket_id, settings, now)
    outbound.send_due(engine, settings, Secret(""), now)
    sent = smtp.received[0].message
    # The customer's client answers our mail: In-Reply-To is our Message-ID, the subject keeps the tag.
    maildir(
        tmp_path / "Maildir",
        mail(subject=f"Re: {sent['Subject']}", message_id="<m2@example.cz>", in_reply_to=sent["Message-ID"]),
    )
    assert inbound.fetch_maildir(engine, settings, now + timedelta(hours=1)).messages == 1
    reply(engine, ticket_id, settings, now + timedelta(hours=2), "Danke!")
    second = outbox_rows(engine)[-1]
    assert second.in_reply_to == "<m2@example.cz>"
    assert second.thread_references.split() == ["<m1@example.cz>", sent["Message-ID"], "<m2@example.cz>"]
    assert second.subject == f"Re: Wo ist mein Paket? 📦 [#{ticket_id}]"  # one Re:, one tag


def test_no_address_no_mail_and_no_settings_nothing_queued(engine: Engine, now) -> None:
    ticket_id = ops.create_ticket(engine, subject="phone call", channel="phone", now=now, actor="t")
    change = ops.add_reply(
        engine, ticket_id, "Called back", "tester", now, mail_from=outbox.reply_identity(mail_settings(25), "tester")
    )
    assert change.message == "reply recorded; the customer has no email address"
    assert outbox.reply_identity(MailSettings(), "tester") is None
    assert outbox_rows(engine) == []


def test_refused_connection_retries_with_backoff_then_sends(engine: Engine, now, tmp_path: Path) -> None:
    port = free_port()  # nothing listens yet
    settings = mail_settings(port)
    ticket_id = ticket_from_mail(engine, now, tmp_path, settings)
    reply(engine, ticket_id, settings, now)
    report = outbound.send_due(engine, settings, Secret(""), now)
    assert report.retrying and "connection refused" in next(iter(report.retrying.values()))
    [row] = outbox_rows(engine)
    assert row.status == "retrying" and row.next_attempt_at == now + timedelta(seconds=60)
    assert row.last_error.endswith("connection refused")
    server = SmtpServer(port=port).start()
    try:
        assert outbound.send_due(engine, settings, Secret(""), now + timedelta(seconds=30)).sent == []  # not due yet
        assert outbound.send_due(engine, settings, Secret(""), now + timedelta(seconds=61)).sent == [row.id]
        assert len(server.received) == 1
    finally:
        server.stop()
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_backoff_doubles_and_gives_up_after_max_attempts(engine: Engine, now, tmp_path: Path) -> None:
    settings = mail_settings(free_port(), max_attempts=3)
    ticket_id = ticket_from_mail(engine, now, tmp_path, settings)
    reply(engine, ticket_id, settings, now)
    at = now
    waits = []
    for _ in range(3):
        outbound.send_due(engine, settings, Secret(""), at)
        [row] = outbox_rows(engine)
        waits.append((row.status, row.next_attempt_at - at))
        at = row.next_attempt_at
    assert waits[0] == ("retrying", timedelta(seconds=60)) and waits[1] == ("retrying", timedelta(seconds=120))
    assert waits[2][0] == "failed"
    # An operator's retry puts it back at the front of the queue.
    assert outbox.retry(engine, row.id, "tester", at) is True
    assert outbox_rows(engine)[0].status == "queued"


def test_a_refused_recipient_fails_at_once_with_the_servers_reason(engine: Engine, now, tmp_path: Path, smtp) -> None:
    smtp.refuse.add("jana@example.cz")
    settings = mail_settings(smtp.port)
    reply(engine, ticket_from_mail(engine, now, tmp_path, settings), settings, now)
    report = outbound.send_due(engine, settings, Secret(""), now)
    [row] = outbox_rows(engine)
    assert row.status == "failed" and report.failed
    assert "550" in row.last_error and "no such user" in row.last_error
    with db.read_session(engine) as session:
        assert (
            outbox.for_ticket(session, row.ticket_id)[0]
            .describe()
            .startswith("failed: recipient refused: jana@example.cz: 550")
        )


def test_a_wrong_password_is_never_stored_or_shown(engine: Engine, now, tmp_path: Path) -> None:
    server = SmtpServer(login=("support@shop.example", "right-password")).start()
    try:
        settings = mail_settings(server.port, user="support@shop.example")
        reply(engine, ticket_from_mail(engine, now, tmp_path, settings), settings, now)
        report = outbound.send_due(engine, settings, Secret("wrong-pw-123"), now)
        assert report.retrying and "535" in next(iter(report.retrying.values()))
        ok = outbound.send_due(engine, settings, Secret("right-password"), now + timedelta(hours=1))
        assert len(ok.sent) == 1 and len(server.received) == 1
    finally:
        server.stop()
    with db.read_session(engine) as session:
        stored = " ".join(str(r) for r in session.execute(select(Outbox.last_error, Outbox.body)).all())
        stored += " ".join(str(r) for r in session.execute(select(AuditLog.before, AuditLog.after)).all())
    assert "wrong-pw-123" not in stored and "right-password" not in stored
    assert repr(Secret("wrong-pw-123")) == "Secret(***)"


SENDER_SCRIPT = """
import sys
from datetime import datetime
from dtc_tui import db
from dtc_tui.services.mail import outbound
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.mail.transport import Secret
engine = db.make_engine(sys.argv[1])
port = int(sys.argv[2])
settings = MailSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", from_address="s@shop.example")
report = outbound.send_due(engine, settings, Secret(""), datetime.fromisoformat(sys.argv[3]), worker=sys.argv[4])
print(len(report.sent))
"""


def test_two_processes_never_send_the_same_reply_twice(engine: Engine, database_url: str, now, smtp) -> None:
    with db.write_session(engine) as session:
        for i in range(30):
            session.add(Customer(name=f"C{i}", email=f"c{i}@example.com"))
    with db.read_session(engine) as session:
        customers = list(session.execute(select(Customer.id)).scalars())
    identity = outbox.ReplyIdentity(from_address="s@shop.example")
    for i, customer_id in enumerate(customers):
        ticket_id = ops.create_ticket(engine, subject=f"q{i}", channel="email", now=now, actor="t")
        with db.write_session(engine) as session:
            from dtc_tui.models import Ticket

            session.get(Ticket, ticket_id).customer_id = customer_id
        ops.add_reply(engine, ticket_id, f"answer {i}", "tester", now, mail_from=identity)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SENDER_SCRIPT, database_url, str(smtp.port), now.isoformat(), f"worker-{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    counts = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        counts.append(int(out.strip()))
    assert sum(counts) == 30
    ids = [r.message["Message-ID"] for r in smtp.wait_for(30)]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r.status for r in outbox_rows(engine)} == {"sent"}
    assert {r.claimed_by for r in outbox_rows(engine)} <= {"worker-0", "worker-1"}
