"""Real mail bytes for the mail tests, built with the standard library's email package."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

CUSTOMER = "Jana Nováková <jana@example.cz>"
TEAM = "support@shop.example"


def mail(
    *,
    subject: str = "Where is my order #1042?",
    sender: str = CUSTOMER,
    to: str = TEAM,
    body: str = "Hello, my parcel has not arrived yet.",
    message_id: str | None = "<first@example.cz>",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    html_only: bool = False,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    if html_only:
        msg.set_content(html or "<p>Hi</p>", subtype="html")
    else:
        msg.set_content(body)
        if html:
            msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


MALFORMED = b"\x00\xff\xfe this is not a mail at all\r\n\r\njust bytes \x1b[31m"


def maildir(path: Path, *raws: bytes) -> mailbox.Maildir:
    box = mailbox.Maildir(path, create=True)
    for raw in raws:
        box.add(raw)
    return box
