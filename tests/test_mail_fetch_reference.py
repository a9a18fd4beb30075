"""A Maildir fetch gives exactly what it gave before the fetch was made fast.

``tests/data/mail_fetch_reference.json`` was written by the fetch as it was before (rewritten
once since, by the slow path, when a reply on a breached ticket stopped being lost; on each
backend: ``DTC_TUI_WRITE_MAIL_REFERENCE=1 pytest tests/test_mail_fetch_reference.py`` on that
code writes it again): after each step every table's rows (ids included; a count and a SHA-256
of the rows) and the fetch's report. The steps: mail read three days ago (new tickets, known
customers in another case), the team's replies (solved, pending, answered, one of our mails with
a Message-ID), then a generated Maildir of a few hundred mails across several batches: new
questions in several languages, replies threaded by In-Reply-To, by References only, to our
reply, by subject tag from the customer and from a stranger, auto-replies threaded and not,
bounces, the team's own mail, the same mail twice, mail without Message-ID, HTML-only mail,
attachments, quoted history, a mail over the size limit, unreadable mail, a tag too big for the
database (SQLite refuses it: the batch is stored again mail by mail); a fetch that finds nothing
new; a few more mails. Each step with the shipped batch size and with a tiny one.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlmodel import SQLModel

from dtc_tui import db
from dtc_tui.models import Customer, TicketMessage
from dtc_tui.models.base import table_of
from dtc_tui.services.mail import inbound
from dtc_tui.services.mail.settings import MailSettings
from dtc_tui.services.tickets import ops
from tests.conftest import FIXED_NOW
from tests.mail_samples import MALFORMED, TEAM, mail

REFERENCE = Path(__file__).resolve().parent / "data" / "mail_fetch_reference.json"
WRITE_ENV = "DTC_TUI_WRITE_MAIL_REFERENCE"
FULL_ENV = "DTC_TUI_MAIL_REFERENCE_ROWS"  # a folder: every step's rows are appended there
QUESTIONS = [
    "Where is my order #{n}?",
    "Rücksendung Bestellung {n}: das Paket ist beschädigt angekommen",
    "Reembolso del pedido {n}, por favor, no he recibido nada",
    "Je n'ai pas reçu ma commande {n}, pouvez-vous vérifier?",
    "Wrong size delivered ({n})",
    "Hi",
]
BODIES = [
    "Hello,\n\nI ordered on Monday and the tracking has not moved since. Order {n}.\n\nThanks,\n{name}\n",
    "Hallo,\n\nich habe am Montag bestellt und die Sendungsverfolgung zeigt nichts. Bestellung {n}.\n\n"
    "Viele Grüße\n{name}\n",
    "Hola, el pedido {n} no ha llegado todavía. ¿Pueden revisar el envío? Gracias, {name}",
    "",
]
QUOTES = [
    "Any news?\n\nOn Thu, 19 Nov 2026, Support <support@shop.example> wrote:\n> We are checking.\n> {n}\n",
    "Noch nichts angekommen.\n\nAm 19.11.2026 um 10:00 schrieb Support <support@shop.example>:\n> Wir prüfen das.\n",
    "Thanks, that works.\n",
    "> quoted only\n> nothing new\n",
    "Still waiting.\n\n-----Original Message-----\nFrom: Support\nSent: Thursday\n\nWe are checking {n}.\n",
]


def write_maildir(path: Path, raws: list[bytes], start: int = 0) -> None:
    """Files with fixed names (the keys are kept in ``mail_inbound``, and read in key order)."""
    for folder in ("cur", "new", "tmp"):
        (path / folder).mkdir(parents=True, exist_ok=True)
    for index, raw in enumerate(raws, start=start):
        (path / "cur" / f"k{index:05d}:2,S").write_bytes(raw)


def first_mails() -> list[bytes]:
    """What arrived three days ago: new tickets (two from customers the shop knew)."""
    mails = []
    for i in range(12):
        sender = f"Customer {i} <c{i}@example.com>" if i != 3 else "Jana <JANA@example.cz>"
        mails.append(
            mail(
                subject=QUESTIONS[i % 5].format(n=500 + i),
                sender=sender,
                body=BODIES[i % 3].format(n=500 + i, name=f"Customer {i}"),
                message_id=f"<old{i}@example.com>",
            )
        )
    return mails


def generated_mails(count: int, seed: int, prefix: str, earlier: list[tuple[str, str, str]]) -> list[bytes]:
    """``count`` mails of every kind; ``earlier`` (Message-ID, sender, subject) are threaded to."""
    rng = random.Random(seed)
    sent = list(earlier)
    mails: list[bytes] = []
    for i in range(count):
        roll = rng.random()
        customer = rng.randrange(60)
        sender = f"Customer {customer} <c{customer}@example.com>"
        mid = f"<{prefix}{i}@example.com>"
        n = 2000 + i
        if roll < 0.22 and sent:
            parent, sender, subject = rng.choice(sent)
            how = rng.random()
            body = rng.choice(QUOTES).format(n=n)
            if how < 0.6:
                raw = mail(subject=f"Re: {subject}", sender=sender, message_id=mid, in_reply_to=parent, body=body)
            else:
                refs = f"<unknown{i}@elsewhere.example> {parent}"
                raw = mail(subject=f"AW: {subject}", sender=sender, message_id=mid, references=refs, body=body)
        elif roll < 0.27 and sent:
            parent, sender, subject = rng.choice(sent)
            raw = mail(
                subject="Automatic reply: " + subject,
                sender=sender,
                message_id=mid,
                in_reply_to=parent,
                headers={"Auto-Submitted": "auto-replied"},
                body="I am away until Monday.",
            )
        elif roll < 0.30:
            headers = rng.choice([{"X-Autoreply": "yes"}, {"Precedence": "bulk"}, {"Auto-Submitted": "auto-generated"}])
            raw = mail(subject="Out of office", sender=sender, message_id=mid, headers=headers, body="Away.")
        elif roll < 0.31:
            raw = mail(subject="Undelivered Mail", sender="MAILER-DAEMON@mx.example", message_id=mid, body="550")
        elif roll < 0.32:
            raw = mail(subject="internal note", sender="Ben <ben@shop.example>", message_id=mid, body="fyi")
        elif roll < 0.34 and sent:
            raw = mail(subject="again", sender=sender, message_id=rng.choice(sent)[0], body="the same mail again")
        elif roll < 0.35:
            raw = mail(subject=f"No id {i}", sender=sender, message_id=None, body=f"mail without an id {i}")
        elif roll < 0.36:
            raw = rng.choice([MALFORMED, b"", b"Subject: x\r\nFrom: nobody\r\n\r\nbody\r\n", b"\r\n\r\nno headers"])
        else:
            subject = rng.choice(QUESTIONS).format(n=n)
            body = rng.choice(BODIES).format(n=n, name=f"Customer {customer}")
            kind = rng.random()
            if kind < 0.1:
                html = f"<html><body><p>{body.replace(chr(10), '<br>') or 'Hi'}</p><b>bold</b></body></html>"
                raw = mail(subject=subject, sender=sender, message_id=mid, html=html, html_only=True)
            elif kind < 0.15:
                raw = mail(subject=subject, sender=sender, message_id=mid, body=body, html=f"<p>{body}</p>")
            elif kind < 0.2:
                files = [(f"photo{i}.jpg", "image/jpeg", bytes(range(256)) * (i % 7 + 1))]
                raw = mail(subject=subject, sender=sender, message_id=mid, body=body, attachments=files)
            elif kind < 0.21:
                files = [("big.bin", "application/octet-stream", b"\1" * 300_000)]
                raw = mail(subject=subject, sender=sender, message_id=mid, body=body, attachments=files)
            elif kind < 0.23:
                sender = f"=?utf-8?q?J=C3=BCrgen_{customer}?= <Juergen{customer}@Example.DE>"
                raw = mail(subject=f"=?iso-8859-1?q?R=FCcksendung?= {n}", sender=sender, message_id=mid, body=body)
            else:
                raw = mail(subject=subject, sender=sender, message_id=mid, body=body)
            sent.append((mid, sender, subject))
        mails.append(raw)
    return mails


def tagged_mails(ticket_ids: list[int]) -> list[bytes]:
    """Subject tags: from the ticket's customer (threads), from a stranger (a new ticket), too big."""
    first, second = ticket_ids[0], ticket_ids[3]
    return [
        mail(subject=f"Re: order [#{first}]", sender="c0@example.com", message_id="<tag-own@example.com>"),
        mail(subject=f"Re: order [#{second}]", sender="Jana <jana@EXAMPLE.cz>", message_id="<tag-own2@example.com>"),
        mail(subject=f"Re: order [#{first}]", sender="x@evil.example", message_id="<tag-stranger@evil.example>"),
        mail(subject="order [#99999]", sender="c1@example.com", message_id="<tag-missing@example.com>"),
        mail(subject="re: [#1] thanks", sender="Ben <BEN@shop.example>", message_id="<tag-team@shop.example>"),
        mail(
            subject="Re: answer",
            sender="c2@example.com",
            message_id="<to-our-reply@example.com>",
            in_reply_to="<reply-1@shop.example>",
            body="Thanks for the reply.\n\nOn Fri, Support wrote:\n> It ships today.\n",
        ),
    ]


def overflow_mail() -> bytes:
    return mail(subject="order [#99999999999999999999]", sender="c4@example.com", message_id="<overflow@example.com>")


def dump(engine: Engine, tmp: Path) -> dict[str, list[Any]]:
    """Every table's rows by primary key, values as text (datetimes in UTC): [count, sha256].

    Ids are renumbered 1, 2, 3... per table (and where other rows name them): a batch that fails
    and is stored again mail by mail leaves gaps in PostgreSQL's sequences, as many as the failed
    attempt drew, which says nothing of what was stored.
    """
    tables: dict[str, list[Any]] = {}
    with db.read_session(engine) as session:
        read = {
            table.name: list(session.execute(select(table).order_by(*table.primary_key.columns)))
            for table in SQLModel.metadata.sorted_tables
            if table.name not in ("alembic_version", "db_activity") and not table.name.startswith("ticket_search")
        }
    ranks = {
        name: {row.id: rank for rank, row in enumerate(rows, start=1)}
        for name, rows in read.items()
        if "id" in SQLModel.metadata.tables[name].c and rows and isinstance(rows[0].id, int)
    }
    for name in sorted(read):
        rows = [_row(SQLModel.metadata.tables[name], row, ranks, tmp) for row in read[name]]
        if rows and os.environ.get(FULL_ENV):  # every row, to see what differs
            with open(Path(os.environ[FULL_ENV]) / f"{name}.json", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(rows, indent=0) + "\n")
        if rows:
            tables[name] = [len(rows), hashlib.sha256(json.dumps(rows).encode()).hexdigest()]
    return tables


# A ticket id inside an error text (the breach a batch could not store).
_TICKET_IN_TEXT = re.compile(r"(\(ticket_id, metric, due_at\)=\(|\[parameters: \()(\d+)")


def _row(table: Any, row: Any, ranks: dict[str, dict[int, int]], tmp: Path) -> list[str | None]:
    tickets = ranks.get("ticket", {})
    values = []
    for column, value in zip(table.columns, row, strict=True):
        target = next(iter(column.foreign_keys)).column.table.name if column.foreign_keys else None
        if column.name == "id" and table.name in ranks:
            value = ranks[table.name][value]
        elif target in ranks and value is not None:
            value = ranks[target].get(value, value)
        elif table.name == "audit_log" and column.name == "entity_id" and row.entity == "ticket":
            value = tickets.get(int(value), value)
        elif isinstance(value, str):
            value = _TICKET_IN_TEXT.sub(lambda m: m.group(1) + str(tickets.get(int(m.group(2)), m.group(2))), value)
        values.append(_text(value, tmp))
    return values


def _text(value: Any, tmp: Path) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.isoformat()
    return str(value).replace(str(tmp), "<tmp>")


def report_of(report: inbound.FetchReport, tmp: Path) -> dict[str, Any]:
    data = json.loads(json.dumps(report.__dict__).replace(str(tmp), "<tmp>"))
    data["summary"] = report.summary()
    return data


def settings_for(tmp: Path) -> MailSettings:
    return MailSettings(
        maildir=str(tmp / "Maildir"),
        from_address=TEAM,
        team_addresses=("ben@shop.example",),
        # Relative (to the test's own working folder): the path is in the text, and the text decides
        # the detected language, so it must not change from run to run.
        attachment_dir="attachments",
        max_message_mb=0.25,
        max_attachment_mb=0.002,
    )


def seed(engine: Engine) -> None:
    with db.write_session(engine) as session:
        session.add(Customer(name="Jana N.", email="Jana@Example.CZ", tier="vip"))
        session.add(Customer(name="C Five", email="C5@Example.com"))
        session.add(Customer(name="Old c5", email="c5@example.com"))  # two rows: the newest wins


def team_work(engine: Engine, when: datetime) -> list[int]:
    """The team answered some of the first mails: solved, pending, answered; one by mail."""
    with db.read_session(engine) as session:
        ids = list(session.execute(select(table_of(TicketMessage).c.ticket_id).distinct()).scalars())
    ids.sort()
    ops.add_reply(engine, ids[0], "It ships today.", "tester", when, status_after="solved")
    ops.add_reply(engine, ids[1], "Please send a photo.", "tester", when, status_after="pending")
    ops.add_reply(engine, ids[2], "We are checking.", "tester", when)
    with db.write_session(engine) as session:
        session.execute(
            insert(table_of(TicketMessage)).values(
                ticket_id=ids[2], kind="reply", author="tester", body="By mail.", created_at=when,
                message_id="<reply-1@shop.example>",
            )
        )  # fmt: skip
    return ids


def scenario(engine: Engine, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    settings = settings_for(tmp)
    box = tmp / "Maildir"

    def step(label: str, now: datetime) -> None:
        report = inbound.fetch_maildir(engine, settings, now)
        out[label] = {"report": report_of(report, tmp), "tables": dump(engine, tmp)}

    seed(engine)
    write_maildir(box, first_mails())
    step("three days ago", FIXED_NOW - timedelta(days=3))
    ids = team_work(engine, FIXED_NOW - timedelta(days=2))
    earlier = [(f"<old{i}@example.com>", f"c{i}@example.com", QUESTIONS[i % 5].format(n=500 + i)) for i in range(12)]
    raws = generated_mails(430, seed=21, prefix="g", earlier=earlier)
    raws[150:150] = tagged_mails(ids)
    write_maildir(box, raws, start=100)
    step("the big fetch", FIXED_NOW)
    step("nothing new", FIXED_NOW + timedelta(hours=1))
    more = generated_mails(25, seed=5, prefix="g", earlier=earlier)  # the same Message-IDs: read before
    more += generated_mails(15, seed=6, prefix="late", earlier=[(f"<g{i}@example.com>", "", "") for i in range(40)])
    more.insert(7, overflow_mail())
    write_maildir(box, more, start=1000)
    step("more mail", FIXED_NOW + timedelta(hours=2))
    return out


@pytest.fixture(params=["as shipped", "tiny"])
def batches(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "tiny":
        monkeypatch.setattr(inbound, "BATCH", 7)
    return str(request.param)


def test_mail_fetch_matches_the_reference(engine: Engine, tmp_path: Path, batches: str) -> None:
    backend = engine.dialect.name
    got = json.loads(json.dumps(scenario(engine, tmp_path)))
    key = f"{backend}, {batches}"
    if os.environ.get(WRITE_ENV):
        known = json.loads(REFERENCE.read_text(encoding="utf-8")) if REFERENCE.exists() else {}
        known[key] = got
        REFERENCE.write_text(json.dumps(known, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))[key]
    assert list(got) == list(expected)
    for label in expected:
        assert got[label]["report"] == expected[label]["report"], label
        assert list(got[label]["tables"]) == list(expected[label]["tables"]), label
        for table, rows in expected[label]["tables"].items():
            assert got[label]["tables"][table] == rows, (label, table)


def test_the_reference_covers_what_it_says() -> None:
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))["sqlite, as shipped"]
    big = expected["the big fetch"]["report"]
    assert big["read"] > 400 and big["tickets"] and big["messages"] and big["events"] and big["ignored"]
    assert big["duplicates"] and big["unreadable"]
    assert expected["nothing new"]["report"]["read"] == 0
    more = expected["more mail"]["report"]
    assert more["duplicates"] >= 15 and more["messages"]
    assert more["unreadable"]  # the tag SQLite cannot hold: the batch was stored mail by mail


def test_plain_mail_takes_the_bulk_way(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """New tickets, replies (also to a ticket of the same batch), auto-replies, duplicates and
    unreadable mail need no mail-by-mail step: the reference above would pass on the slow way too."""
    write_maildir(tmp_path / "Maildir", first_mails())
    inbound.fetch_maildir(engine, settings_for(tmp_path), FIXED_NOW)

    def slow(*args: object, **kwargs: object) -> str:
        raise AssertionError("stored mail by mail")

    monkeypatch.setattr(inbound, "ingest_one", slow)
    earlier = [(f"<old{i}@example.com>", f"c{i}@example.com", "Re: x") for i in range(12)]
    write_maildir(tmp_path / "Maildir", generated_mails(120, seed=3, prefix="b", earlier=earlier), start=100)
    report = inbound.fetch_maildir(engine, settings_for(tmp_path), FIXED_NOW + timedelta(minutes=5))
    assert report.read == 120 and report.tickets and report.messages and report.ignored and report.unreadable
