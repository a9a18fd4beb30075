"""One raw mail to what a ticket needs: who, subject, threading ids, readable text, attachments.

Mail is untrusted: every header is decoded defensively (encoded words, unknown charsets and
broken bytes become replacement characters, never an exception), text is cleaned of terminal
controls, HTML-only mail is turned into text (html2text, links kept as text, no markup shown),
and the quoted history under a reply is split off so the view can fold it. Attachments are
listed and their bytes handed back to be saved, never opened. A mail that cannot be read at all
raises ``Unreadable`` with the reason, for the "could not read" list.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import lru_cache

from dtc_tui.services.common.text import clean_text, one_line

# In a message body, the line that starts the folded quoted history (the view folds below it).
QUOTE_MARKER = "\n\n--- quoted history (folded) ---\n"
_MSGID = re.compile(r"<[^<>\s]+>")
_AUTO_LOCALPARTS = ("mailer-daemon", "postmaster", "noreply-bounce", "bounce")


class Unreadable(Exception):
    """The mail cannot be turned into a ticket message; the text is the reason."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int
    payload: bytes | None  # None when over the size limit (not saved)
    note: str = ""


@dataclass
class ParsedMail:
    message_id: str
    subject: str
    from_name: str
    from_address: str
    date: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str  # the new text, cleaned
    quoted: str  # the quoted history under it ("" when none)
    html_only: bool = False
    auto_reason: str = ""  # why this is an automatic mail (auto-reply, bounce, bulk); "" for a person
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    def body(self) -> str:
        """What the ticket message stores: text, notes on size and attachments, the quoted history last."""
        parts = [self.text or "(no text)"]
        if self.html_only:
            parts.append("[HTML-only mail, shown as text]")
        parts.extend(f"[{note}]" for note in self.notes)
        if self.attachments:
            lines = ["Attachments:"]
            for a in self.attachments:
                lines.append(f"  {a.name} ({a.content_type}, {human_size(a.size)}){' ' + a.note if a.note else ''}")
            parts.append("\n".join(lines))
        body = "\n\n".join(parts)
        if self.quoted:
            body += QUOTE_MARKER + self.quoted
        return body


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size} B"


def header_text(message: Message, name: str) -> str:
    """A header as clean one-line text; undecodable pieces become replacement characters."""
    try:
        value = message.get(name)
    except Exception:  # a defective header the policy cannot fold: read it raw below
        value = None
        for key, raw in message.raw_items() if isinstance(message, EmailMessage) else message.items():
            if key.lower() == name.lower():
                value = raw
                break
    if value is None:
        return ""
    text = str(value)
    if "=?" in text:
        with contextlib.suppress(Exception):
            text = str(make_header(decode_header(text)))
    return one_line(text.encode("utf-8", "replace").decode("utf-8", "replace"))


def message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def _synthetic_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.dtc-tui.invalid>"


def auto_reason(message: Message, from_address: str) -> str:
    """Why this mail was sent by a machine (RFC 3834 and the common headers), or ""."""
    auto = header_text(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if header_text(message, name) and name != "X-Auto-Response-Suppress":
            return f"{name} header"
    precedence = header_text(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    local = from_address.partition("@")[0].lower()
    if local in _AUTO_LOCALPARTS:
        return f"sent by {local} (a bounce)"
    if message.get_content_type() == "multipart/report":
        return "a delivery report (bounce)"
    return ""


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # a charset Python does not know: keep what is readable
        return payload.decode("utf-8", "replace")


def html_to_text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0  # keep paragraphs as lines; the view wraps
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.protect_links = True
    return converter.handle(html).strip()


# A cheap look for anything that may start quoted history; the full parser runs only then.
_MAY_QUOTE = re.compile(
    r"^\s*>|wrote:|schrieb|escribi|a écrit|ha scritto|schreef|-{3,}\s*(original|ursprüngliche)|^(from|von|de|da|van):",
    re.IGNORECASE | re.MULTILINE,
)


@lru_cache(maxsize=1)
def _reply_parser():
    from mailparser_reply import EmailReplyParser

    return EmailReplyParser(languages=["en", "de", "es", "fr", "it", "nl"])


def split_quoted(text: str) -> tuple[str, str]:
    """(new text, quoted history) of a reply: "On ... wrote:", "Am ... schrieb", "> " blocks."""
    if not _MAY_QUOTE.search(text):
        return text.strip(), ""
    try:
        parsed = _reply_parser().read(text=text)
        latest = (parsed.latest_reply or "").strip()
    except Exception:  # the parser is a heuristic; never lose the mail over it
        return text.strip(), ""
    if not latest or latest == text.strip():
        return text.strip(), ""
    rest = "\n\n".join(reply.content for reply in parsed.replies[1:]).strip()
    return latest, rest


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").lower()
    return disposition.startswith("attachment") or bool(part.get_filename()) and not part.is_multipart()


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = one_line(name, 200).replace("/", "_").replace("\\", "_").lstrip(".")
    return name or f"attachment-{index}"


def parse(raw: bytes, *, max_message_bytes: int, max_attachment_bytes: int, size: int | None = None) -> ParsedMail:
    """``size``: the mail's real size when ``raw`` is only its head (an IMAP fetch over the limit)."""
    if not raw or not raw.strip():
        raise Unreadable("empty message")
    size = max(size or 0, len(raw))
    if size > max_message_bytes:
        return _headers_only(raw, size, max_message_bytes)
    try:
        message = message_from_bytes(raw, policy=compat32)
    except Exception as exc:
        raise Unreadable(f"not a mail message: {type(exc).__name__}") from None
    return _parsed(message, raw, max_attachment_bytes)


def _sender(message: Message) -> tuple[str, str]:
    raw_from = header_text(message, "From")
    pairs = getaddresses([raw_from]) if raw_from else []
    name, address = pairs[0] if pairs else ("", "")
    if not address:
        name, address = parseaddr(raw_from)
    address = address.strip().lower()
    if "@" not in address or " " in address:
        raise Unreadable(f"no sender address (From: {one_line(raw_from, 80) or 'missing'})")
    return one_line(name, 200), address


def _date(message: Message) -> datetime | None:
    try:
        value = parsedate_to_datetime(header_text(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _headers_only(raw: bytes, size: int, limit: int) -> ParsedMail:
    message = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024])
    name, address = _sender(message)
    return ParsedMail(
        message_id=(message_ids(header_text(message, "Message-ID")) or [_synthetic_id(raw[:65536])])[0],
        subject=header_text(message, "Subject"),
        from_name=name,
        from_address=address,
        date=_date(message),
        in_reply_to=message_ids(header_text(message, "In-Reply-To")),
        references=message_ids(header_text(message, "References")),
        text="",
        quoted="",
        auto_reason=auto_reason(message, address),
        notes=[
            f"this mail is {human_size(size)}, over the {human_size(limit)} limit (max_message_mb): "
            "only its headers were read; it is still in the mailbox"
        ],
    )


def _parsed(message: Message, raw: bytes, max_attachment_bytes: int) -> ParsedMail:
    if not message.keys():
        raise Unreadable("no mail headers")
    name, address = _sender(message)
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        if _is_attachment(part) or not content_type.startswith("text/"):
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if len(data) > max_attachment_bytes:
                attachments.append(
                    Attachment(
                        _filename(part, index),
                        content_type,
                        len(data),
                        None,
                        f"not saved: over the {human_size(max_attachment_bytes)} limit (max_attachment_mb)",
                    )
                )
            else:
                attachments.append(Attachment(_filename(part, index), content_type, len(data), data))
        elif content_type == "text/html":
            html.append(_decode_part(part))
        else:
            plain.append(_decode_part(part))
    html_only = not any(p.strip() for p in plain) and any(h.strip() for h in html)
    text = "\n\n".join(plain) if not html_only else "\n\n".join(html_to_text(h) for h in html)
    text = clean_text(text)
    new_text, quoted = split_quoted(text) if text.strip() else ("", "")
    defects = [type(d).__name__ for d in getattr(message, "defects", [])]
    notes = (
        [f"the mail has format defects ({', '.join(sorted(set(defects)))}); shown as far as readable"]
        if defects
        else []
    )
    return ParsedMail(
        message_id=(message_ids(header_text(message, "Message-ID")) or [_synthetic_id(raw)])[0],
        subject=header_text(message, "Subject"),
        from_name=name,
        from_address=address,
        date=_date(message),
        in_reply_to=message_ids(header_text(message, "In-Reply-To")),
        references=message_ids(header_text(message, "References")),
        text=new_text,
        quoted=quoted,
        html_only=html_only,
        auto_reason=auto_reason(message, address),
        attachments=attachments,
        notes=notes,
    )
