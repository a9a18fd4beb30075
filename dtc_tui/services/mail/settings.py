"""The ``[mail]`` table of the config, checked, with the password read from where it may live.

The password is never a config value: it comes from an environment variable (``password_env``,
default ``DTC_TUI_MAIL_PASSWORD``) or a file only its owner can read (``password_file``, mode 0600).
It is never stored in the database or the audit log, and ``MailSettings`` does not hold it, so it
cannot end up in a repr or a traceback's locals.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dtc_tui.i18n import _

TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PASSWORD_ENV = "DTC_TUI_MAIL_PASSWORD"
ENV_PREFIX = "DTC_TUI_MAIL_"


class MailConfigError(Exception):
    """The [mail] settings are wrong or incomplete; the message says which key."""


@dataclass(frozen=True)
class MailSettings:
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    imap_host: str = ""
    imap_port: int = 993
    imap_tls: str = "ssl"
    user: str = ""
    password_env: str = DEFAULT_PASSWORD_ENV
    password_file: str = ""
    ca_file: str = ""  # extra CA bundle (an own server with a private CA); verification stays on
    from_address: str = ""
    from_name: str = ""
    # A different From per ticket channel ("chat" -> "chat@shop.example"); else from_address.
    from_by_channel: dict[str, str] = field(default_factory=dict)
    # Mail from these is the team's own (never a ticket); from_address is always one of them.
    team_addresses: tuple[str, ...] = ()
    signatures: dict[str, str] = field(default_factory=dict)  # operator -> signature
    folder: str = "INBOX"
    processed_folder: str = ""  # move processed mail there; empty: mark it \Seen and leave it
    maildir: str = ""
    poll_seconds: float = 60.0
    send_seconds: float = 15.0
    attachment_dir: str = ""
    max_message_mb: float = 30.0
    max_attachment_mb: float = 25.0
    timeout_seconds: float = 30.0
    max_attempts: int = 6

    @property
    def sending_enabled(self) -> bool:
        return bool(self.smtp_host and self.from_address)

    @property
    def imap_enabled(self) -> bool:
        return bool(self.imap_host)

    @property
    def inbound_enabled(self) -> bool:
        return bool(self.imap_host or self.maildir)

    def sender_for(self, channel: str) -> str:
        return self.from_by_channel.get(channel) or self.from_address

    def own_addresses(self) -> set[str]:
        found = {a.strip().lower() for a in (self.from_address, *self.team_addresses, *self.from_by_channel.values())}
        return {a for a in found if a}

    def password(self, environ: Mapping[str, str] | None = None) -> str:
        """The mailbox password, from the environment or a private file; "" when none is set."""
        environ = os.environ if environ is None else environ
        if self.password_file:
            path = Path(self.password_file).expanduser()
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                raise MailConfigError(
                    _("mail password_file {path}: {reason}").format(path=path, reason=exc.strerror)
                ) from None
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise MailConfigError(
                    _("mail password_file {path} can be read by others (mode {mode}); run: chmod 600 {path}").format(
                        path=path, mode=f"{stat.S_IMODE(mode):o}"
                    )
                )
            return path.read_text(encoding="utf-8").strip("\r\n")
        return environ.get(self.password_env, "")


_INT = {"smtp_port", "imap_port", "max_attempts"}
_FLOAT = {"poll_seconds", "send_seconds", "max_message_mb", "max_attachment_mb", "timeout_seconds"}
_DICT = {"from_by_channel", "signatures"}
_NAMES = {name for name in MailSettings.__dataclass_fields__}


def mail_settings(table: dict[str, Any] | None, environ: dict[str, str] | None = None) -> MailSettings:
    """Build from the config's [mail] table; ``DTC_TUI_MAIL_<KEY>`` overrides a scalar key."""
    environ = dict(os.environ) if environ is None else environ
    raw: dict[str, Any] = dict(table or {})
    if "password" in raw:
        raise MailConfigError(
            _(
                "[mail] password must not be in the config file: set password_env (an environment variable) "
                "or password_file (a file with mode 0600)"
            )
        )
    unknown = sorted(set(raw) - _NAMES)
    if unknown:
        raise MailConfigError(_("[mail]: unknown setting {name!r}").format(name=unknown[0]))
    for name in _NAMES - _DICT:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ and env_name != DEFAULT_PASSWORD_ENV:
            raw[name] = environ[env_name]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        try:
            if name in _INT:
                values[name] = int(value)
            elif name in _FLOAT:
                values[name] = float(value)
            elif name in _DICT:
                if not isinstance(value, dict):
                    raise MailConfigError(_("[mail] {name} must be a table").format(name=name))
                values[name] = {str(k): str(v) for k, v in value.items()}
            elif name == "team_addresses":
                items = value if isinstance(value, list) else str(value).split(",")
                values[name] = tuple(str(v).strip() for v in items if str(v).strip())
            else:
                values[name] = str(value)
        except ValueError:
            raise MailConfigError(
                _("[mail] {name}: {value!r} is not a number").format(name=name, value=value)
            ) from None
    for key in ("smtp_tls", "imap_tls"):
        if key in values and values[key] not in TLS_MODES:
            raise MailConfigError(
                _("[mail] {key} must be one of {choices}, not {value!r}").format(
                    key=key, choices=", ".join(TLS_MODES), value=values[key]
                )
            )
    settings = MailSettings(**values)
    if settings.poll_seconds < 5 or settings.send_seconds < 1:
        raise MailConfigError(_("[mail] poll_seconds must be at least 5 and send_seconds at least 1"))
    return settings
