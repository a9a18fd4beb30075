"""Connections to the mail servers (smtplib, imaplib) with TLS verified, and the password kept secret.

Certificates are always verified against the system's CAs (plus ``ca_file`` when set): there is no
switch to turn that off. ``none`` is plain text and meant for a server on the same box.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl

from dtc_tui.services.common.text import one_line
from dtc_tui.services.mail.settings import MailSettings


class Secret:
    """A password that never shows itself in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class MailServerError(Exception):
    """The server could not be reached, refused us or the mail; ``permanent`` when retrying is useless."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file or None)


def describe_error(exc: BaseException, secret: Secret | None = None) -> str:
    """One line for the operator (and the outbox row): what failed, never the password."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {msg.decode('utf-8', 'replace')}" for addr, (code, msg) in exc.recipients.items()]
        text = "recipient refused: " + "; ".join(parts)
    elif isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        text = f"server said {exc.smtp_code} {error}"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        detail = str(exc).removeprefix("Connection unexpectedly closed").strip(": ")
        text = f"the server closed the connection ({detail or 'no reason'})"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = f"TLS certificate not trusted: {exc.verify_message}"
    elif isinstance(exc, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(exc, TimeoutError):
        text = "timed out"
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = f"{type(exc).__name__}: {exc}"
    if secret is not None:
        text = secret.redact(text)
    return one_line(text, 300)


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer to the mail itself (bad recipient, refused content): retrying will not help.

    A 5xx on login is not permanent here: the operator fixes the password and the queue goes on.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError | smtplib.SMTPSenderRefused):
        return exc.smtp_code >= 500
    return False


def open_smtp(settings: MailSettings, secret: Secret) -> smtplib.SMTP:
    """Connected and logged in (when ``user`` is set); raises ``MailServerError``."""
    try:
        if settings.smtp_tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds, context=tls_context(settings)
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
            if settings.smtp_tls == "starttls":
                smtp.starttls(context=tls_context(settings))
        if settings.user:
            smtp.login(settings.user, secret.reveal())
        return smtp
    except (OSError, smtplib.SMTPException) as exc:
        raise MailServerError(
            f"SMTP {settings.smtp_host}:{settings.smtp_port}: {describe_error(exc, secret)}"
        ) from None


def open_imap(settings: MailSettings, secret: Secret) -> imaplib.IMAP4:
    try:
        if settings.imap_tls == "ssl":
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.imap_host,
                settings.imap_port,
                ssl_context=tls_context(settings),
                timeout=settings.timeout_seconds,
            )
        else:
            imap = imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=settings.timeout_seconds)
            if settings.imap_tls == "starttls":
                imap.starttls(ssl_context=tls_context(settings))
        imap.login(settings.user, secret.reveal())
        return imap
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailServerError(
            f"IMAP {settings.imap_host}:{settings.imap_port}: {describe_error(exc, secret)}"
        ) from None
