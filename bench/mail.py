"""Mail bench: fetch a Maildir of N messages into tickets (issue 18: >= 500 messages/s at 10k).

    .venv/bin/python bench/mail.py [--messages 10000] [--keep DIR]

Writes a Maildir (standard library ``mailbox``) of realistic mail: 2,000 customers, two thirds new
questions, a quarter replies threaded by In-Reply-To, some with quoted history, some HTML-only,
some auto-replies; then reads it into a fresh SQLite database (migrated, default SLA policies) with
``services.mail.inbound.fetch_maildir``, as ``dtc-tui mail fetch`` does. Prints messages/s and what
became of them; a second fetch of the same Maildir (nothing new) is timed too.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
TARGET = 500.0
QUESTIONS = [
    "Where is my order #{n}?",
    "Rücksendung Bestellung {n}",
    "Reembolso del pedido {n}",
    "Wrong size delivered ({n})",
    "Can I change my delivery address?",
]
BODY = (
    "Hello,\n\nI ordered on Monday and the tracking has not moved since. Order {n}.\n"
    "Can you check?\n\nThanks,\n{name}\n"
)


def build_maildir(path: Path, count: int, seed: int = 18) -> mailbox.Maildir:
    rng = random.Random(seed)
    box = mailbox.Maildir(path, create=True)
    sent: list[tuple[str, str, str]] = []  # (message id, sender, subject) of earlier mail
    for i in range(count):
        msg = EmailMessage(policy=SMTP)
        roll = rng.random()
        customer = rng.randrange(2000)
        sender = f"Customer {customer} <c{customer}@example.com>"
        msg["To"] = "support@shop.example"
        msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0000"
        msg["Message-ID"] = f"<m{i}@example.com>"
        if roll < 0.25 and sent:
            parent_id, sender, subject = rng.choice(sent)
            msg["Subject"] = f"Re: {subject}"
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
            msg.set_content(f"Any news?\n\nOn Thu, 19 Nov 2026, Support wrote:\n> We are checking.\n> {i}\n")
        elif roll < 0.30:
            msg["Subject"] = "Out of office"
            msg["Auto-Submitted"] = "auto-replied"
            msg.set_content("I am away until Monday.")
        else:
            subject = rng.choice(QUESTIONS).format(n=1000 + i)
            msg["Subject"] = subject
            body = BODY.format(n=1000 + i, name=f"Customer {customer}")
            if roll > 0.9:
                msg.set_content(f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>", subtype="html")
            else:
                msg.set_content(body)
            sent.append((msg["Message-ID"], sender, subject))
        msg["From"] = sender
        box.add(msg.as_bytes())
    return box


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="write the Maildir and database here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (bench/run.py reads it)")
    args = parser.parse_args()

    from dtc_tui import db
    from dtc_tui.services.mail import inbound
    from dtc_tui.services.mail.settings import MailSettings
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    work = args.keep or Path(tempfile.mkdtemp(prefix="dtc-mail-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    build_maildir(work / "Maildir", args.messages)
    print(f"wrote {args.messages} messages in {time.perf_counter() - started:.1f} s")
    engine = db.make_engine(f"sqlite:///{work / 'mail.db'}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ensure_defaults(session)
    settings = MailSettings(maildir=str(work / "Maildir"), from_address="support@shop.example")

    started, cpu_started = time.perf_counter(), time.process_time()
    report = inbound.fetch_maildir(engine, settings, NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rate = report.read / elapsed
    print(f"fetch: {report.summary()}")
    print(f"fetch: {report.read} messages in {elapsed:.2f} s = {rate:,.0f} messages/s (target >= {TARGET:.0f})")
    # CPU time too: on a shared box the wall time says as much about the neighbours.
    print(f"fetch: CPU {cpu:.2f} s = {report.read / cpu:,.0f} messages/s of CPU")
    started = time.perf_counter()
    again = inbound.fetch_maildir(engine, settings, NOW)
    again_seconds = time.perf_counter() - started
    print(f"fetch again (nothing new): {again.read} read in {again_seconds:.2f} s")
    print("met" if rate >= TARGET else "NOT met")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"messages": report.read, "seconds": elapsed, "cpu_seconds": cpu, "again_seconds": again_seconds}
            )
        )


if __name__ == "__main__":
    main()
