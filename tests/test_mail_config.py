"""[mail] settings and the password's rules; ``dtc-tui mail`` commands end to end (CliRunner)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.config import load_settings
from dtc_tui.models import Outbox
from dtc_tui.services.mail.settings import MailConfigError, mail_settings
from tests.mail_samples import MALFORMED, mail, maildir
from tests.mail_servers import SmtpServer


def test_mail_table_from_the_config_file_with_env_overrides(tmp_path: Path) -> None:
    (tmp_path / "dtc-tui.toml").write_text(
        '[mail]\nsmtp_host = "smtp.example.com"\nsmtp_port = 465\nsmtp_tls = "ssl"\nuser = "support@shop.example"\n'
        'from_address = "support@shop.example"\nteam_addresses = ["alice@shop.example"]\npoll_seconds = 30\n'
        '[mail.signatures]\ntester = "Tess"\n'
    )
    settings = load_settings(cwd=tmp_path, environ={"DTC_TUI_MAIL_SMTP_PORT": "2525"})
    mail = mail_settings(settings.mail, environ={"DTC_TUI_MAIL_SMTP_PORT": "2525"})
    assert (mail.smtp_host, mail.smtp_port, mail.smtp_tls, mail.poll_seconds) == ("smtp.example.com", 2525, "ssl", 30.0)
    assert mail.signatures == {"tester": "Tess"}
    assert mail.own_addresses() == {"support@shop.example", "alice@shop.example"}
    assert "smtp_host" in repr(mail) and "password" not in repr(mail).replace("password_env", "").replace(
        "password_file", ""
    )


def test_a_password_in_the_config_or_a_bad_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MailConfigError, match="must not be in the config file"):
        mail_settings({"password": "hunter2"}, environ={})
    with pytest.raises(MailConfigError, match="smtp_tls must be one of starttls, ssl, none"):
        mail_settings({"smtp_tls": "tls"}, environ={})
    with pytest.raises(MailConfigError, match="unknown setting 'smtp_hots'"):
        mail_settings({"smtp_hots": "x"}, environ={})
    secret = tmp_path / "mail-password"
    secret.write_text("from-the-file\n")
    os.chmod(secret, 0o644)
    settings = mail_settings({"password_file": str(secret)}, environ={})
    with pytest.raises(MailConfigError, match="can be read by others \\(mode 644\\); run: chmod 600"):
        settings.password()
    os.chmod(secret, 0o600)
    assert settings.password() == "from-the-file"
    env = mail_settings({"password_env": "SHOP_MAIL_PW"}, environ={})
    assert env.password({"SHOP_MAIL_PW": "from-env"}) == "from-env"
    assert mail_settings({}, environ={}).password({"DTC_TUI_MAIL_PASSWORD": "default-env"}) == "default-env"


def write_config(tmp_path: Path, **values: object) -> Path:
    lines = ["[mail]"] + [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in values.items()]
    config = tmp_path / "dtc-tui.toml"
    config.write_text("\n".join(lines).replace("'", '"') + "\n")
    return config


def test_fetch_send_and_status_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = SmtpServer().start()
    try:
        maildir(tmp_path / "Maildir", mail(), MALFORMED)
        config = write_config(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_tls="none",
            from_address="support@shop.example",
            maildir=str(tmp_path / "Maildir"),
        )
        monkeypatch.setenv("DTC_TUI_CONFIG", str(config))
        dbfile = str(tmp_path / "cli.db")
        runner = CliRunner()
        fetched = runner.invoke(main_group, ["--db", dbfile, "mail", "fetch"])
        assert fetched.exit_code == 0, fetched.output
        assert "maildir: 2 read: 1 new tickets" in fetched.output and "1 could not be read" in fetched.output
        status = runner.invoke(main_group, ["--db", dbfile, "mail", "status"])
        assert "inbound: 1 ticket, 1 unreadable" in status.output
        assert "could not read:" in status.output and "no mail headers" in status.output

        from dtc_tui.services.mail.outbox import ReplyIdentity
        from dtc_tui.services.tickets import ops

        engine = db.make_engine(f"sqlite:///{dbfile}")
        ops.add_reply(engine, 1, "On its way", "tester", ops_now(), mail_from=ReplyIdentity("support@shop.example"))
        sent = runner.invoke(main_group, ["--db", dbfile, "mail", "send"])
        assert sent.exit_code == 0, sent.output
        assert sent.output.startswith("1 sent, 0 to retry, 0 failed")
        assert len(server.received) == 1
        with db.read_session(engine) as session:
            assert session.execute(select(Outbox.status)).scalar() == "sent"
        engine.dispose()
        tested = runner.invoke(main_group, ["--db", dbfile, "mail", "test"])
        assert tested.exit_code == 0 and "ok   SMTP 127.0.0.1" in tested.output and "ok   Maildir" in tested.output
    finally:
        server.stop()


def ops_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_mail_test_reports_a_dead_server_without_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.mail_servers import free_port

    config = write_config(tmp_path, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none", user="u")
    monkeypatch.setenv("DTC_TUI_CONFIG", str(config))
    monkeypatch.setenv("DTC_TUI_MAIL_PASSWORD", "pw-never-shown")
    result = CliRunner().invoke(main_group, ["--db", str(tmp_path / "x.db"), "mail", "test"])
    assert result.exit_code == 1
    assert "FAIL SMTP 127.0.0.1" in result.output and "connection refused" in result.output
    assert "Traceback" not in result.output and "pw-never-shown" not in result.output
    bad = write_config(tmp_path, password="x")
    monkeypatch.setenv("DTC_TUI_CONFIG", str(bad))
    refused = CliRunner().invoke(main_group, ["--db", str(tmp_path / "x.db"), "mail", "status"])
    assert refused.exit_code != 0 and "must not be in the config file" in refused.output
