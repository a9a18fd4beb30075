"""Mail into tickets from a Maildir (standard library ``mailbox``): threading, customers, clocks,
auto-replies, HTML, quoted history, attachments, limits, broken mail. Both backends."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.models import Customer, MailInbound, Ticket, TicketEvent, TicketMessage
from dtc_tui.services.mail import inbound
from dtc_tui.services.mail.parse import QUOTE_MARKER
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.tickets import ops
from tests.mail_samples import MALFORMED, TEAM, mail, maildir


def settings_for(tmp_path: Path, **overrides: object) -> MailSettings:
    values: dict = {
        "maildir": str(tmp_path / "Maildir"),
        "from_address": TEAM,
        "team_addresses": ("alice@shop.example",),
        "attachment_dir": str(tmp_path / "attachments"),
    }
    values.update(overrides)
    return MailSettings(**values)


def fetch(engine: Engine, settings: MailSettings, now) -> inbound.FetchReport:
    return inbound.fetch_maildir(engine, settings, now)


def tickets(engine: Engine) -> list[Ticket]:
    with db.read_session(engine) as session:
        return list(session.execute(select(Ticket).order_by(Ticket.id)).scalars())


def messages(engine: Engine, ticket_id: int) -> list[TicketMessage]:
    with db.read_session(engine) as session:
        return list(
            session.execute(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
            ).scalars()
        )


def test_new_mail_becomes_a_ticket_for_a_new_customer(engine: Engine, now, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    maildir(tmp_path / "Maildir", mail())
    report = fetch(engine, settings, now)
    assert (report.read, report.tickets) == (1, 1)
    [ticket] = tickets(engine)
    assert ticket.channel == "email" and ticket.status == "new"
    assert ticket.subject == "Where is my order #1042?"
    assert ticket.awaiting_since == now and ticket.next_due_metric == "first_response"
    with db.read_session(engine) as session:
        customer = session.get(Customer, ticket.customer_id)
    assert (customer.name, customer.email) == ("Jana Nováková", "jana@example.cz")
    [message] = messages(engine, ticket.id)
    assert message.message_id == "<first@example.cz>" and "parcel has not arrived" in message.body
    # Fetching again reads nothing twice.
    assert fetch(engine, settings, now).read == 0
    assert len(tickets(engine)) == 1


def test_known_customer_is_matched_by_address_whatever_its_case(engine: Engine, now, tmp_path: Path) -> None:
    with db.write_session(engine) as session:
        session.add(Customer(name="Jana N.", email="Jana@Example.CZ", tier="vip"))
    maildir(tmp_path / "Maildir", mail())
    fetch(engine, settings_for(tmp_path), now)
    with db.read_session(engine) as session:
        assert len(list(session.execute(select(Customer)).scalars())) == 1
        assert session.get(Customer, tickets(engine)[0].customer_id).tier == "vip"


def test_reply_threads_by_headers_and_restarts_the_next_response_clock(engine: Engine, now, tmp_path: Path) -> None:
    box = maildir(tmp_path / "Maildir", mail())
    settings = settings_for(tmp_path)
    fetch(engine, settings, now)
    [ticket] = tickets(engine)
    ops.add_reply(engine, ticket.id, "It ships today.", "tester", now + timedelta(minutes=5), status_after="solved")
    later = now + timedelta(hours=2)
    box.add(
        mail(
            subject="Re: Where is my order #1042?",
            message_id="<second@example.cz>",
            in_reply_to="<first@example.cz>",
            references="<first@example.cz>",
            body="Still nothing.\n\nOn Fri, 20 Nov 2026, Support <support@shop.example> wrote:\n> It ships today.\n",
        )
    )
    report = fetch(engine, settings, later)
    assert report.messages == 1 and report.tickets == 0
    [ticket] = tickets(engine)
    assert ticket.status == "open" and ticket.is_open  # a solved ticket reopens
    assert ticket.awaiting_since == later and ticket.last_customer_message_at == later
    assert ticket.next_due_metric in ("next_response", "resolution")
    last = messages(engine, ticket.id)[-1]
    assert last.kind == "customer" and last.message_id == "<second@example.cz>"
    text, _marker, quoted = last.body.partition(QUOTE_MARKER)
    assert text.strip() == "Still nothing." and "It ships today." in quoted


def test_subject_tag_threads_only_for_the_tickets_own_customer(engine: Engine, now, tmp_path: Path) -> None:
    box = maildir(tmp_path / "Maildir", mail())
    settings = settings_for(tmp_path)
    fetch(engine, settings, now)
    ticket_id = tickets(engine)[0].id
    box.add(mail(subject=f"Re: order [#{ticket_id}]", message_id="<tag@example.cz>"))
    box.add(mail(subject=f"Re: order [#{ticket_id}]", message_id="<stranger@evil.example>", sender="x@evil.example"))
    report = fetch(engine, settings, now)
    assert (report.messages, report.tickets) == (1, 1)
    assert [m.message_id for m in messages(engine, ticket_id)][-1] == "<tag@example.cz>"


def test_auto_replies_bounces_and_own_mail_are_never_tickets(engine: Engine, now, tmp_path: Path) -> None:
    box = maildir(tmp_path / "Maildir", mail())
    settings = settings_for(tmp_path)
    fetch(engine, settings, now)
    ticket_id = tickets(engine)[0].id
    before = tickets(engine)[0].awaiting_since
    box.add(
        mail(
            message_id="<ooo@example.cz>", in_reply_to="<first@example.cz>", headers={"Auto-Submitted": "auto-replied"}
        )
    )
    box.add(mail(message_id="<x1@example.cz>", subject="Out of office", headers={"X-Autoreply": "yes"}))
    box.add(mail(message_id="<x2@example.cz>", subject="News", headers={"Precedence": "bulk"}))
    box.add(mail(message_id="<x3@example.cz>", subject="Undelivered", sender="MAILER-DAEMON@mx.example"))
    box.add(mail(message_id="<x4@shop.example>", subject="internal", sender="Alice <alice@shop.example>"))
    report = fetch(engine, settings, now + timedelta(hours=1))
    assert (report.tickets, report.messages, report.events, report.ignored) == (0, 0, 1, 4)
    assert len(tickets(engine)) == 1
    assert len(messages(engine, ticket_id)) == 1
    assert tickets(engine)[0].awaiting_since == before  # no clock restarted
    with db.read_session(engine) as session:
        kinds = list(session.execute(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)).scalars())
        reasons = set(session.execute(select(MailInbound.reason).where(MailInbound.outcome == "ignored")).scalars())
    assert "mail_ignored" in kinds
    assert reasons == {
        "X-Autoreply header",
        "Precedence: bulk",
        "sent by mailer-daemon (a bounce)",
        "mail from the team's own address",
    }


def test_html_only_mail_is_shown_as_text(engine: Engine, now, tmp_path: Path) -> None:
    html = (
        "<html><body><h1>Refund</h1><p>I want a <b>refund</b> for "
        "<a href='https://x.example/o/9'>order 9</a>.</p><script>alert(1)</script></body></html>"
    )
    maildir(tmp_path / "Maildir", mail(html=html, html_only=True))
    fetch(engine, settings_for(tmp_path), now)
    body = messages(engine, tickets(engine)[0].id)[0].body
    assert "I want a refund for" in body and "<b>" not in body and "<p>" not in body
    assert "[HTML-only mail, shown as text]" in body


def test_attachments_are_listed_and_saved_private(engine: Engine, now, tmp_path: Path) -> None:
    pdf = b"%PDF-1.4 fake invoice" * 100
    big = b"\x89PNG" + b"\0" * (2 * 1024 * 1024)
    maildir(
        tmp_path / "Maildir",
        mail(attachments=[("../../invoice.pdf", "application/pdf", pdf), ("photo.png", "image/png", big)]),
    )
    fetch(engine, settings_for(tmp_path, max_attachment_mb=1.0), now)
    body = messages(engine, tickets(engine)[0].id)[0].body
    assert "invoice.pdf (application/pdf, 2 kB) saved as" in body
    assert "photo.png (image/png, 2.0 MB) not saved: over the 1.0 MB limit (max_attachment_mb)" in body
    [saved] = list((tmp_path / "attachments").rglob("*invoice.pdf"))
    assert saved.read_bytes() == pdf
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert (tmp_path / "attachments") in saved.parents  # the "../../" in the name did not escape


def test_a_mail_over_the_size_limit_is_kept_with_a_note(engine: Engine, now, tmp_path: Path) -> None:
    maildir(tmp_path / "Maildir", mail(attachments=[("video.mp4", "video/mp4", b"\1" * (2 * 1024 * 1024))]))
    fetch(engine, settings_for(tmp_path, max_message_mb=1.0), now)
    [ticket] = tickets(engine)
    body = messages(engine, ticket.id)[0].body
    assert "over the 1.0 MB limit (max_message_mb): only its headers were read" in body


def test_malformed_mail_is_listed_and_the_fetch_goes_on(engine: Engine, now, tmp_path: Path) -> None:
    no_sender = b"Subject: hello\r\nFrom: not an address\r\n\r\nbody\r\n"
    maildir(tmp_path / "Maildir", MALFORMED, b"", no_sender, mail())
    report = fetch(engine, settings_for(tmp_path), now)
    assert (report.unreadable, report.tickets) == (3, 1)
    with db.read_session(engine) as session:
        listed = inbound.recent(session, outcome="unreadable")
    reasons = sorted(entry.reason for entry in listed)
    assert reasons == ["empty message", "no mail headers", "no sender address (From: not an address)"]


def test_encoded_words_and_unknown_charsets_never_crash(engine: Engine, now, tmp_path: Path) -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.de>\r\n"
        b"Subject: =?iso-8859-1?q?R=FCcksendung?= =?utf-8?b?8J+Tpg==?= \x1b]52;c;aGk=\x07\r\n"
        b"Message-ID: <enc@example.de>\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n"
        b"\r\n"
        b"Ich m\xf6chte zur\xfcck \x1b[2J senden\r\n"
    )
    maildir(tmp_path / "Maildir", raw)
    assert fetch(engine, settings_for(tmp_path), now).tickets == 1
    [ticket] = tickets(engine)
    assert ticket.subject.startswith("Rücksendung📦")  # RFC 2047: no space between adjacent encoded words
    assert "\x1b" not in ticket.subject and "\x07" not in ticket.subject
    body = messages(engine, ticket.id)[0].body
    assert "\x1b" not in body and "senden" in body and "\ufffd" in body
    with db.read_session(engine) as session:
        assert session.get(Customer, ticket.customer_id).name == "Jürgen"


def test_the_same_mail_twice_is_one_message(engine: Engine, now, tmp_path: Path) -> None:
    maildir(tmp_path / "Maildir", mail(), mail())
    report = fetch(engine, settings_for(tmp_path), now)
    assert (report.tickets, report.duplicates) == (1, 1)


def test_a_reply_on_a_ticket_already_breached_is_stored_and_its_breach_recorded_once(
    engine: Engine, now, tmp_path: Path
) -> None:
    """ "Any news?" on an overdue ticket: the change records the late first response before and
    after the reply, and without autoflush the second check did not see the first row, so the
    unique key refused the mail's whole change ("could not be stored", never tried again)."""
    from dtc_tui.models import SlaBreach

    box = maildir(tmp_path / "Maildir", mail())
    settings = settings_for(tmp_path)
    fetch(engine, settings, now)
    [ticket] = tickets(engine)
    overdue = now + timedelta(days=3)  # nobody answered: the first response is long breached
    box.add(
        mail(
            subject="Re: Where is my order #1042?",
            message_id="<news@example.cz>",
            in_reply_to="<first@example.cz>",
            body="Any news?",
        )
    )
    report = fetch(engine, settings, overdue)
    assert (report.read, report.messages, report.unreadable) == (1, 1, 0), report.summary()
    assert [m.body for m in messages(engine, ticket.id)][-1] == "Any news?"
    with db.read_session(engine) as session:
        metrics = [
            b.metric for b in session.execute(select(SlaBreach).where(SlaBreach.ticket_id == ticket.id)).scalars()
        ]
    assert metrics.count("first_response") == 1
