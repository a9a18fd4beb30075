"""Issue 21: the UI and CLI speak English or Simplified Chinese, chosen by setting or locale, from
standard gettext catalogs that stay complete and compiled; machine output never changes."""

from __future__ import annotations

import gettext
import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import Engine

from dtc_tui import i18n

ZH_PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "dtc_tui.po"
ZH_MO = ZH_PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "NC_": ((1, "c"), 2), "pgettext": ((1, "c"), 2)}


@pytest.mark.parametrize(
    ("environ", "setting", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "", "zh-CN"),
        ({"LANG": "en_GB.UTF-8"}, "", "en"),
        ({"LANG": "de_DE.UTF-8"}, "", "en"),  # no German catalog: English, not an error
        ({"LANG": "C.UTF-8"}, "", "en"),
        ({}, "", "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, "", "zh-CN"),  # LC_ALL outranks LANG, as in libc
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "", "en"),
        ({"LANG": "zh_CN.UTF-8"}, "en", "en"),  # the setting outranks the locale
        ({"LANG": "en_US.UTF-8"}, "zh-CN", "zh-CN"),
        ({}, "zh_cn", "zh-CN"),
    ],
)
def test_language_from_setting_then_locale(environ: dict[str, str], setting: str, expected: str) -> None:
    assert i18n.resolve(setting, environ) == expected


def test_an_unknown_language_setting_is_refused_by_name() -> None:
    with pytest.raises(i18n.UnknownLanguage, match="unknown language 'klingon': use one of en, zh-CN"):
        i18n.resolve("klingon", {})


def _source_messages() -> set[tuple[str | None, str]]:
    """(context, message) of every marked message."""
    root = Path(i18n.__file__).parent
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    from dtc_tui.cli import main_group  # command help texts (docstrings) are translated too

    return found | {(None, text) for text in i18n.command_messages(main_group)}


def test_catalog_has_every_marked_message_translated_and_compiled() -> None:
    with ZH_PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in catalog if m.id}
    marked = _source_messages()
    missing = sorted(marked - {k for k, v in translated.items() if v})
    assert missing == [], f"run the catalog update in docs/language.md; untranslated: {missing[:10]}"
    # The shipped .mo is the .po compiled (a stale .mo would show old or English texts).
    with ZH_MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalog:
        if message.id and isinstance(message.id, str):
            shown = compiled.pgettext(message.context, message.id) if message.context else compiled.gettext(message.id)
            assert shown == message.string, f"stale .mo for {message.id!r}"


def run_cli(*args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "DTC_TUI_LANGUAGE"))}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-m", "dtc_tui", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_help_is_chinese_under_a_chinese_locale_and_english_when_the_setting_says_so() -> None:
    chinese = run_cli("--help", LANG="zh_CN.UTF-8")
    assert chinese.returncode == 0, chinese.stderr
    assert "用法：" in chinese.stdout and "数据库文件或 SQLAlchemy URL。" in chinese.stdout
    assert "显示此帮助并退出。" in chinese.stdout  # click's own words come from the catalog too
    assert "工单队列。" in chinese.stdout  # a command's docstring, translated at start
    assert "Usage:" not in chinese.stdout
    import_help = run_cli("import", "--help", LANG="zh_CN.UTF-8")
    assert "检查每一行并统计会有哪些改动；不写入任何内容。" in import_help.stdout  # an option's help
    assert "类型：" in import_help.stdout and "Zendesk 工单导出，CSV 或 JSON -> 工单" in import_help.stdout  # epilog
    assert "Kinds:" not in import_help.stdout
    english = run_cli("--help", LANG="zh_CN.UTF-8", DTC_TUI_LANGUAGE="en")
    assert "Usage:" in english.stdout and "Database file or SQLAlchemy URL." in english.stdout


def test_a_bad_language_setting_is_one_line_and_exit_2() -> None:
    result = run_cli("db", "info", DTC_TUI_LANGUAGE="xx")
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: unknown language 'xx': use one of en, zh-CN"


def test_json_output_is_identical_in_both_languages(sqlite_demo_engine: Engine) -> None:
    url = str(sqlite_demo_engine.url)
    sqlite_demo_engine.dispose()
    # Commands whose JSON does not move with the wall clock within a run (the queue's "left" does).
    for command in (["settings", "list", "--json"], ["team", "matrix", "--json"], ["ads", "report", "--json"]):
        english = run_cli("--db", url, *command, LANG="en_US.UTF-8")
        chinese = run_cli("--db", url, *command, LANG="zh_CN.UTF-8")
        assert english.returncode == chinese.returncode == 0, (english.stderr, chinese.stderr)
        assert english.stdout == chinese.stdout and english.stdout.strip().startswith(("{", "["))


def test_json_computed_in_process_stays_english_while_the_app_speaks_chinese(
    sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--json switches the command to English (services' messages included) and back after it."""
    from click.testing import CliRunner

    from dtc_tui import clock as clock_module
    from dtc_tui.cli import main_group
    from tests.conftest import FIXED_NOW

    url = str(sqlite_demo_engine.url)
    monkeypatch.setattr(clock_module, "utcnow", lambda: FIXED_NOW)  # the JSON carries its time
    runner = CliRunner()
    english = runner.invoke(main_group, ["--db", url, "team", "check", "--json"])
    with i18n.speaking("zh-CN"):
        chinese = runner.invoke(main_group, ["--db", url, "team", "check", "--json"])
        assert i18n.current() == "zh-CN"  # the language spoken before the command is back
    assert english.exit_code == chinese.exit_code
    assert english.output == chinese.output and english.output.lstrip().startswith(("{", "["))


def test_one_english_word_with_two_meanings_gets_two_translations(zh_cn: None) -> None:
    """msgctxt: "Open" on a key (open the row) and "Open" as a PO line's quantity not yet received."""
    from dtc_tui.i18n import N_, NC_, _

    assert _(N_("Open")) == "打开"
    assert _(NC_("quantity not yet received", "Open")) == "未收"
    assert NC_("quantity not yet received", "Open") == "Open"  # English stays the same word


def test_commands_translated_in_process_keep_their_english_texts() -> None:
    """A command module loaded while Chinese is spoken (a test, a second language in the same
    process) still gives the catalog its English help, and speaking English again restores it."""
    import click

    english = "Send the replies that are due (queued, or waiting for their retry time)."

    @click.command(help=english)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    def sample(as_json: bool) -> None: ...

    with i18n.speaking("zh-CN"):
        i18n.translate_commands(sample)
        assert sample.help == "发送到期的回复（排队中的，或等待重试时间的）。"
        assert sample.params[0].help == "输出 JSON。"
        assert i18n.command_messages(sample) == [english, "Print JSON."]
    i18n.translate_commands(sample)
    assert sample.help == english and sample.params[0].help == "Print JSON."
