"""Issue 21, item 4: a ticket's language detected from its text when the source names none.

Before: an imported Zendesk ticket "Wo ist meine Bestellung? #1001" had language ``en``, so
``lang:de`` missed it. Now the text decides, a short text stays unknown, and a language the
export names is kept as given.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from dtc_tui import db
from dtc_tui.cli import main_group as main
from dtc_tui.models import Ticket
from dtc_tui.services.common import language
from dtc_tui.services.importers.pipeline import run_import
from dtc_tui.services.mail import inbound
from dtc_tui.services.mail.settings import MailSettings
from tests.conftest import FIXED_NOW
from tests.mail_samples import TEAM, mail, maildir

# One customer sentence per language the issue names (what a "where is my order" mail says).
SENTENCES = {
    "en": "Hello, I ordered a jacket last week and it has not arrived yet. Can you check?",
    "de": "Hallo, ich habe letzte Woche eine Jacke bestellt und sie ist noch nicht angekommen.",
    "es": "Hola, pedí una chaqueta la semana pasada y todavía no ha llegado. ¿Pueden revisarlo?",
    "fr": "Bonjour, j'ai commandé une veste la semaine dernière et elle n'est toujours pas arrivée.",
    "ar": "مرحبا، طلبت سترة الأسبوع الماضي ولم تصل بعد. هل يمكنكم التحقق من ذلك؟",
    "zh": "你好，我上周订购了一件夹克，到现在还没有收到。请帮我查一下。",
    "ja": "こんにちは、先週ジャケットを注文しましたが、まだ届いていません。確認していただけますか。",
    "it": "Ciao, ho ordinato una giacca la settimana scorsa e non è ancora arrivata. Potete controllare?",
    "nl": "Hallo, ik heb vorige week een jas besteld en die is nog steeds niet aangekomen.",
    "pt": "Olá, encomendei um casaco na semana passada e ainda não chegou. Podem verificar?",
}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_each_named_language_is_detected(code: str) -> None:
    assert language.detect(SENTENCES[code]) == code


@pytest.mark.parametrize("text", ["ok", "Hi", "#1001", "Re: 20877", "refund", "  ", "DHL?"])
def test_too_little_text_stays_unknown(text: str) -> None:
    assert language.detect(text) == language.UNKNOWN


def test_the_subject_alone_is_enough_when_it_is_a_sentence() -> None:
    assert language.detect("Wo ist meine Bestellung? #1001") == "de"


ZENDESK_HEADER = "Id,Requester,Requester email,Subject,Status,Priority,Via,Created at"


def write(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def tickets_by_id(engine: Engine) -> dict[str, Ticket]:
    with db.read_session(engine) as session:
        return {t.external_id or "": t for t in session.execute(select(Ticket)).scalars()}


def test_zendesk_ticket_without_a_language_column_is_detected_and_found_with_lang_de(
    engine: Engine, tmp_path: Path, database_url: str
) -> None:
    path = write(
        tmp_path,
        "zendesk.csv",
        ZENDESK_HEADER,
        [
            "1001,Emma Schneider,emma@example.de,Wo ist meine Bestellung? #1001,Open,Normal,Mail,2026-11-19 08:00:00",
            "1002,Liam Smith,liam@example.com,Where is my order? It has not arrived,Open,Normal,Mail,"
            "2026-11-19 09:00:00",
            "1003,Kim Lee,kim@example.com,#20877,Open,Normal,Mail,2026-11-19 10:00:00",
        ],
    )
    summary = run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester", tz="UTC")
    found = tickets_by_id(engine)
    assert (found["1001"].language, found["1001"].language_detected) == ("de", True)
    assert (found["1002"].language, found["1002"].language_detected) == ("en", True)
    # An order number says nothing about the customer's language: unknown, not English.
    assert (found["1003"].language, found["1003"].language_detected) == ("und", False)
    [note] = [line for line in summary.notes if "detected from the text" in line]
    assert "for 2 tickets; 1 left unknown (und)" in note

    listed = CliRunner().invoke(
        main, ["--db", database_url, "tickets", "list", "--view", "all", "--filter", "lang:de", "--json"]
    )
    assert listed.exit_code == 0, listed.output
    assert [t["subject"] for t in json.loads(listed.output)["tickets"]] == ["Wo ist meine Bestellung? #1001"]


def test_a_language_the_export_names_is_kept_even_if_the_text_says_otherwise(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "zendesk.csv",
        ZENDESK_HEADER + ",Requester language",
        ["1001,Emma Schneider,emma@x.de,Wo ist meine Bestellung? #1001,Open,Normal,Mail,2026-11-19 08:00:00,English"],
    )
    summary = run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester", tz="UTC")
    ticket = tickets_by_id(engine)["1001"]
    assert (ticket.language, ticket.language_detected) == ("en", False)
    assert not any("detected from the text" in line for line in summary.notes)


def test_tickets_show_says_the_language_was_detected(engine: Engine, tmp_path: Path, database_url: str) -> None:
    path = write(
        tmp_path,
        "zendesk.csv",
        ZENDESK_HEADER,
        ["1001,Emma Schneider,emma@example.de,Wo ist meine Bestellung? #1001,Open,Normal,Mail,2026-11-19 08:00:00"],
    )
    run_import(engine, "zendesk", path, now=FIXED_NOW, actor="tester", tz="UTC")
    ticket_id = tickets_by_id(engine)["1001"].id
    result = CliRunner().invoke(main, ["--db", database_url, "tickets", "show", str(ticket_id)])
    assert result.exit_code == 0, result.output
    assert "de (detected)" in result.output


def test_new_mail_gets_the_language_of_its_text(engine: Engine, now, tmp_path: Path) -> None:
    settings = MailSettings(
        maildir=str(tmp_path / "Maildir"), from_address=TEAM, attachment_dir=str(tmp_path / "attachments")
    )
    maildir(
        tmp_path / "Maildir",
        mail(subject="Wo ist meine Bestellung?", body=SENTENCES["de"], message_id="<de@example.de>"),
        mail(subject="Hi", body="ok", sender="short@example.com", message_id="<short@example.com>"),
    )
    report = inbound.fetch_maildir(engine, settings, now)
    assert report.tickets == 2
    with db.read_session(engine) as session:
        found = {t.subject: (t.language, t.language_detected) for t in session.execute(select(Ticket)).scalars()}
    assert found == {"Wo ist meine Bestellung?": ("de", True), "Hi": ("und", False)}
