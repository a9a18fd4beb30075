"""Poll an IMAP folder: new UIDs since the last poll (UIDVALIDITY checked), read, mark processed.

Processed mail is moved to ``processed_folder`` when one is set (MOVE, or COPY + delete where the
server lacks MOVE), else flagged \\Seen and left where it is; the cursor (last UID) is what
decides what is new, so a mail a person read in their own client is still fetched.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.i18n import ngettext
from dtc_tui.models import MailCursor
from dtc_tui.services.common.localefmt import number
from dtc_tui.services.mail.inbound import FetchReport, RawMail, cursor, ingest
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.mail.transport import MailServerError, Secret, describe_error, open_imap

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
HEADER_BYTES = 256 * 1024


def imap_source(settings: MailSettings) -> str:
    return f"imap:{settings.user}@{settings.imap_host}:{settings.imap_port}/{settings.folder}"


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: list, what: str) -> list:
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise MailServerError(f"IMAP {what} failed: {detail[:200]}")
    return data


def _select(imap: imaplib.IMAP4, folder: str) -> int:
    _check(*imap.select(_quote(folder)), f"select {folder}")
    _typ, values = imap.response("UIDVALIDITY")
    try:
        return int(values[0])
    except (TypeError, ValueError, IndexError):
        raise MailServerError(f"IMAP folder {folder} has no UIDVALIDITY") from None


def _new_uids(imap: imaplib.IMAP4, last_uid: int) -> list[int]:
    data = _check(*imap.uid("SEARCH", f"UID {last_uid + 1}:*"), "search")
    # "n:*" always matches the newest message even when its UID is lower: filter.
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > last_uid)


def _fetch(imap: imaplib.IMAP4, uid: int, max_bytes: int) -> tuple[bytes, int]:
    """(the mail, its size); only its head when it is over the size limit (the parser then says so)."""
    data = _check(*imap.uid("FETCH", str(uid), "(RFC822.SIZE)"), f"fetch {uid}")
    found = _SIZE.search(data[0] if isinstance(data[0], bytes) else b"")
    size = int(found.group(1)) if found else 0
    part = "BODY.PEEK[]" if size <= max_bytes else f"BODY.PEEK[]<0.{HEADER_BYTES}>"
    data = _check(*imap.uid("FETCH", str(uid), f"({part})"), f"fetch {uid}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1], max(size, len(item[1]))
    return b"", size


def _mark(imap: imaplib.IMAP4, uid: int, settings: MailSettings) -> None:
    if not settings.processed_folder:
        imap.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
        return
    target = _quote(settings.processed_folder)
    typ, _data = imap.uid("MOVE", str(uid), target)
    if typ != "OK":
        _check(*imap.uid("COPY", str(uid), target), f"copy {uid}")
        imap.uid("STORE", str(uid), "+FLAGS", "(\\Deleted \\Seen)")
        imap.expunge()


def fetch_imap(
    engine: Engine, settings: MailSettings, secret: Secret, now: datetime, *, limit: int = 500
) -> FetchReport:
    """One poll: read up to ``limit`` new mails into tickets; raises ``MailServerError``."""
    source = imap_source(settings)
    max_bytes = int(settings.max_message_mb * 1024 * 1024)
    imap = open_imap(settings, secret)
    try:
        uidvalidity = _select(imap, settings.folder)
        with db.read_session(engine) as session:
            saved = cursor(session, source)
            last_uid = saved.last_uid if saved and saved.uidvalidity == uidvalidity else 0
        uids = _new_uids(imap, last_uid)[:limit]
        highest = [last_uid]

        def mails() -> Iterator[RawMail]:
            for uid in uids:
                raw, size = _fetch(imap, uid, max_bytes)
                yield RawMail(f"{uidvalidity}:{uid}", raw, size)

        def done(ref: str) -> None:
            uid = int(ref.partition(":")[2])
            _mark(imap, uid, settings)
            highest[0] = max(highest[0], uid)

        report = ingest(engine, mails(), source=source, settings=settings, now=now, on_done=done)
        if uids:
            highest[0] = max(highest[0], uids[-1])  # mails skipped as already read move the cursor too
        _save_cursor(engine, source, uidvalidity, highest[0], now)
        return report
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailServerError(f"IMAP {settings.imap_host}: {describe_error(exc, secret)}") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def _save_cursor(engine: Engine, source: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
    with db.write_session(engine) as session:
        row = cursor(session, source) or MailCursor(source=source, updated_at=now)
        row.uidvalidity = uidvalidity
        row.last_uid = last_uid
        row.updated_at = now
        session.add(row)


def test_imap(settings: MailSettings, secret: Secret) -> str:
    """Connect, log in, open the folder; count its mails. Reads and changes nothing."""
    imap = open_imap(settings, secret)
    try:
        typ, data = imap.select(_quote(settings.folder), readonly=True)
        _check(typ, data, f"select {settings.folder}")
        where = f"IMAP {settings.imap_host}:{settings.imap_port} ({settings.imap_tls})"
        count = int(data[0] or 0)
        return ngettext("{where}: {folder} has {count} mail", "{where}: {folder} has {count} mails", count).format(
            where=where, folder=settings.folder, count=number(count)
        )
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
