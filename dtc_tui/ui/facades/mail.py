"""The email channel as the app sees it: queue a reply, each reply's mail state, retry, and the
two background jobs (send what is due, fetch new mail) that the app runs in worker threads.

Settings are read once from the config's [mail] table; a mistake there is kept in ``error`` for
the app to show, and mail is then off (replies are still recorded). The password is read from
its env var or file at each connection, so fixing it needs no restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.clock import Clock
from dtc_tui.services.mail.settings import MailConfigError, MailSettings, mail_settings

if TYPE_CHECKING:
    from dtc_tui.services.mail import inbound, outbound, outbox
    from dtc_tui.services.mail.transport import MailServerError
    from dtc_tui.services.tickets import ops

# The app builds this facade at start-up, before any screen's first frame: the mail machinery
# (IMAP, SMTP, the parser, the outbox and its tables, the ticket actions) is imported where it is
# used, in a reply or in the background jobs (issue 20: start to first frame).


def __getattr__(name: str) -> Any:
    if name == "MailServerError":
        from dtc_tui.services.mail.transport import MailServerError

        return MailServerError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MailFacade:
    def __init__(self, engine: Engine, operator: str, clock: Clock, *, mail: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.operator = operator
        self.clock = clock
        self.error = ""
        try:
            self.settings = mail_settings(mail or {})
        except MailConfigError as exc:
            self.settings = MailSettings()
            self.error = str(exc)

    @property
    def sending_enabled(self) -> bool:
        return self.settings.sending_enabled

    @property
    def inbound_enabled(self) -> bool:
        return self.settings.inbound_enabled

    def add_reply(
        self,
        ticket_id: int,
        body: str,
        expected_version: int | None,
        *,
        status_after: str | None = None,
        priority_after: str | None = None,
        add_tags: str = "",
        remove_tags: str = "",
    ) -> ops.Change:
        """Record the reply (with a status, priority and tags to set, if asked: one change) and, when
        mail is set up, queue it to the customer in the same transaction; the draft is deleted."""
        from dtc_tui.services.mail import outbox
        from dtc_tui.services.tickets import ops

        return ops.add_reply(
            self.engine,
            ticket_id,
            body,
            self.operator,
            self.clock.now(),
            expected_version=expected_version,
            status_after=status_after,
            priority_after=priority_after,
            add_tags=add_tags,
            remove_tags=remove_tags,
            mail_from=outbox.reply_identity(self.settings, self.operator),
        )

    def reply_states(self, ticket_id: int) -> dict[int, outbox.OutboxView]:
        """Each mailed reply's state, keyed by its ticket message id."""
        from dtc_tui.services.mail import outbox

        with db.read_session(self.engine) as session:
            return {v.ticket_message_id: v for v in outbox.for_ticket(session, ticket_id) if v.ticket_message_id}

    def retry(self, ticket_id: int) -> int:
        """Queue again every failed or waiting reply of the ticket; how many were."""
        from dtc_tui.services.mail import outbox

        with db.read_session(self.engine) as session:
            waiting = [v.id for v in outbox.for_ticket(session, ticket_id) if v.status in ("failed", "retrying")]
        now = self.clock.now()
        return sum(outbox.retry(self.engine, outbox_id, self.operator, now) for outbox_id in waiting)

    # --- background jobs (called from worker threads, never from the UI thread) ----------------

    def send_due(self) -> outbound.SendReport:
        from dtc_tui.services.mail import outbound
        from dtc_tui.services.mail.transport import Secret

        secret = Secret(self.settings.password())
        return outbound.send_due(self.engine, self.settings, secret, self.clock.now())

    def fetch(self) -> list[inbound.FetchReport]:
        from dtc_tui.services.mail import imap, inbound
        from dtc_tui.services.mail.transport import Secret

        reports = []
        if self.settings.maildir:
            reports.append(inbound.fetch_maildir(self.engine, self.settings, self.clock.now()))
        if self.settings.imap_enabled:
            secret = Secret(self.settings.password())
            reports.append(imap.fetch_imap(self.engine, self.settings, secret, self.clock.now()))
        return reports


__all__ = ["MailConfigError", "MailFacade", "MailServerError"]
