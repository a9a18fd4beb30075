"""The sender: claims queued replies one at a time, sends them over SMTP, records sent or failed.

A claim is a compare-and-set on (status, attempts): of two processes that pick the same row only
one update matches, so a reply is sent once. A row left in "sending" by a process that died is
taken again after ``LEASE``; the Message-ID, fixed when the reply was queued, makes such a resend
recognisable to the customer's mail client. Temporary failures wait with an exponential backoff;
a permanent refusal (5xx to the mail) or ``max_attempts`` tries mark the row failed with the reason.
"""

from __future__ import annotations

import os
import smtplib
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, parseaddr

from sqlalchemy import Engine, and_, or_, select, update
from sqlmodel import col

from dtc_tui import db
from dtc_tui.i18n import _
from dtc_tui.models import Outbox
from dtc_tui.services.common import audit
from dtc_tui.services.common.localefmt import number
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.mail.transport import MailServerError, Secret, describe_error, is_permanent, open_smtp

LEASE = timedelta(minutes=10)
FIRST_BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 3600


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)

    def summary(self) -> str:
        return _("{sent} sent, {retrying} to retry, {failed} failed").format(
            sent=number(len(self.sent)), retrying=number(len(self.retrying)), failed=number(len(self.failed))
        )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def build_message(row: Outbox, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = row.from_address
    msg["To"] = formataddr((row.to_name, row.to_address)) if row.to_name else row.to_address
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = row.message_id
    if row.in_reply_to:
        msg["In-Reply-To"] = row.in_reply_to
    if row.thread_references:
        msg["References"] = row.thread_references
    if row.auto_submitted:
        msg["Auto-Submitted"] = "auto-replied"
    msg["X-DTC-Ticket"] = str(row.ticket_id)
    msg.set_content(row.body, charset="utf-8")
    return msg


def claim_next(engine: Engine, worker: str, now: datetime) -> Outbox | None:
    """Take the oldest due reply for this worker, or None. Loses gracefully to another claimer."""
    due = or_(
        and_(col(Outbox.status).in_(("queued", "retrying")), col(Outbox.next_attempt_at) <= now),
        and_(col(Outbox.status) == "sending", col(Outbox.claimed_at) < now - LEASE),
    )
    for _round in range(5):
        with db.read_session(engine) as session:
            candidates = session.execute(
                select(col(Outbox.id), col(Outbox.status), col(Outbox.attempts))
                .where(due)
                .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            ).all()[:5]
        if not candidates:
            return None
        for outbox_id, status, attempts in candidates:
            with db.write_session(engine) as session:
                won = session.exec(
                    update(Outbox)
                    .where(Outbox.id == outbox_id, Outbox.status == status, Outbox.attempts == attempts)
                    .values(status="sending", claimed_by=worker, claimed_at=now, attempts=attempts + 1)
                ).rowcount
                if won == 1:
                    row = session.get(Outbox, outbox_id)
                    session.expunge(row)
                    return row
    return None


def _finish(engine: Engine, row: Outbox, worker: str, now: datetime, **values: object) -> None:
    with db.write_session(engine) as session:
        session.execute(
            update(Outbox)
            .where(col(Outbox.id) == row.id, col(Outbox.status) == "sending", col(Outbox.claimed_by) == worker)
            .values(**values)
        )
        audit.bump(session, "tickets")  # the ticket view shows the new state without a key press


def send_due(
    engine: Engine,
    settings: MailSettings,
    secret: Secret,
    now: datetime,
    *,
    worker: str | None = None,
    limit: int = 100,
) -> SendReport:
    """Send every reply that is due now (at most ``limit``); one SMTP connection for the batch."""
    worker = worker or worker_name()
    report = SendReport()
    smtp: smtplib.SMTP | None = None
    try:
        for _turn in range(limit):
            row = claim_next(engine, worker, now)
            if row is None:
                break
            try:
                if smtp is None:
                    smtp = open_smtp(settings, secret)
                envelope_from = parseaddr(row.from_address)[1] or row.from_address
                smtp.sendmail(envelope_from, [row.to_address], build_message(row, now).as_bytes())
            except (MailServerError, OSError, smtplib.SMTPException) as exc:
                reason = str(exc) if isinstance(exc, MailServerError) else describe_error(exc, secret)
                if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                    _close(smtp)  # the connection is no good: reconnect for the next one
                    smtp = None
                if is_permanent(exc) or row.attempts >= settings.max_attempts:
                    _finish(engine, row, worker, now, status="failed", last_error=reason[:500])
                    report.failed[row.id or 0] = reason
                else:
                    _finish(
                        engine,
                        row,
                        worker,
                        now,
                        status="retrying",
                        last_error=reason[:500],
                        next_attempt_at=now + backoff(row.attempts),
                    )
                    report.retrying[row.id or 0] = reason
                if isinstance(exc, MailServerError):
                    break  # cannot connect: the rest of the queue would fail the same way
                continue
            _finish(engine, row, worker, now, status="sent", sent_at=now, last_error=None)
            report.sent.append(row.id or 0)
    finally:
        _close(smtp)
    return report


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return None


def test_smtp(settings: MailSettings, secret: Secret) -> str:
    """Connect and log in, send nothing; the server's greeting name on success."""
    smtp = open_smtp(settings, secret)
    try:
        code, text = smtp.noop()
        return _("SMTP {host}:{port} ({tls}) answers {code}").format(
            host=settings.smtp_host, port=settings.smtp_port, tls=settings.smtp_tls, code=code
        )
    finally:
        _close(smtp)
