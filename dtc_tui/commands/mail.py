"""``dtc-tui mail``: check the mailbox settings, fetch new mail into tickets, send queued replies.

For cron: ``dtc-tui mail fetch`` every few minutes (IMAP and/or Maildir, whichever is set) and
``dtc-tui mail send``. Both are safe to run while the app runs: the app's own worker and cron
never send the same reply twice, and a mail is read once.
"""

from __future__ import annotations

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import N_, _

# The outbox states and inbound outcomes as ``mail status`` names them (stored in English).
STATE_WORDS = (N_("queued"), N_("sending"), N_("retrying"), N_("sent"), N_("failed"))
OUTCOME_WORDS = (N_("ticket"), N_("message"), N_("event"), N_("ignored"), N_("duplicate"), N_("unreadable"))


def _mail(ctx: CliContext):
    from dtc_tui.services.mail.settings import MailConfigError, mail_settings
    from dtc_tui.services.mail.transport import Secret

    try:
        settings = mail_settings(ctx.settings.mail)
        return settings, Secret(settings.password())
    except MailConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("mail")
def mail_group() -> None:
    """The email channel: replies to customers out, new mail in as tickets."""


@mail_group.command("test")
@pass_ctx
def mail_test(ctx: CliContext) -> None:
    """Connect and log in to the configured servers, list the folder; sends and changes nothing."""
    from dtc_tui.services.mail import imap, outbound
    from dtc_tui.services.mail.transport import MailServerError

    settings, secret = _mail(ctx)
    if not (settings.smtp_host or settings.imap_host or settings.maildir):
        raise click.ClickException(_("no [mail] smtp_host, imap_host or maildir is set in the config"))
    failed = False
    checks = []
    if settings.smtp_host:
        checks.append(lambda: outbound.test_smtp(settings, secret))
    if settings.imap_host:
        checks.append(lambda: imap.test_imap(settings, secret))
    for check in checks:
        try:
            click.echo(_("ok   {result}").format(result=check()))
        except MailServerError as exc:
            failed = True
            click.echo(_("FAIL {reason}").format(reason=exc))
    if settings.maildir:
        from pathlib import Path

        path = Path(settings.maildir).expanduser()
        if (path / "cur").is_dir() and (path / "new").is_dir():
            click.echo(_("ok   Maildir {path}").format(path=path))
        else:
            failed = True
            click.echo(_("FAIL Maildir {path}: no cur/ and new/ folders").format(path=path))
    if not settings.from_address and settings.smtp_host:
        click.echo(_("note from_address is not set: replies are recorded but not mailed"))
    if failed:
        raise SystemExit(1)


@mail_group.command("fetch")
@click.option("--maildir", "maildir_path", default=None, help="Read this Maildir instead of the configured one.")
@json_option()
@pass_ctx
def mail_fetch(ctx: CliContext, maildir_path: str | None, as_json: bool) -> None:
    """Read new mail (IMAP folder and/or Maildir) into tickets once."""
    from dtc_tui.services.mail import imap, inbound
    from dtc_tui.services.mail.transport import MailServerError

    settings, secret = _mail(ctx)
    reports = {}
    try:
        if maildir_path or settings.maildir:
            reports["maildir"] = inbound.fetch_maildir(ctx.engine(create=True), settings, ctx.now(), maildir_path)
        if settings.imap_enabled and not maildir_path:
            reports["imap"] = imap.fetch_imap(ctx.engine(create=True), settings, secret, ctx.now())
    except (MailServerError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    if not reports:
        raise click.ClickException(_("no [mail] imap_host or maildir is set in the config"))
    if as_json:
        echo_json({name: report.__dict__ for name, report in reports.items()})
        return
    for name, report in reports.items():
        click.echo(_("{source}: {summary}").format(source=name, summary=report.summary()))


@mail_group.command("send")
@json_option()
@pass_ctx
def mail_send(ctx: CliContext, as_json: bool) -> None:
    """Send the replies that are due (queued, or waiting for their retry time)."""
    from dtc_tui.services.mail import outbound

    settings, secret = _mail(ctx)
    if not settings.sending_enabled:
        raise click.ClickException(_("[mail] smtp_host and from_address must be set to send"))
    report = outbound.send_due(ctx.engine(), settings, secret, ctx.now())
    if as_json:
        echo_json(report.__dict__)
        return
    click.echo(report.summary())
    for outbox_id, reason in {**report.retrying, **report.failed}.items():
        click.echo("  " + _("reply {id}: {reason}").format(id=outbox_id, reason=reason))
    if report.failed:
        raise SystemExit(1)


@mail_group.command("status")
@json_option()
@pass_ctx
def mail_status(ctx: CliContext, as_json: bool) -> None:
    """The outbox by state, what the readers did, and the mail that could not be read."""
    from dtc_tui import db
    from dtc_tui.services.common.localefmt import number
    from dtc_tui.services.common.text import one_line
    from dtc_tui.services.mail import inbound, outbox

    _mail(ctx)  # a mistake in [mail] is worth saying here too
    with db.read_session(ctx.engine()) as session:
        queue = outbox.counts(session)
        read = inbound.inbound_counts(session)
        unreadable = inbound.recent(session, outcome="unreadable", limit=20)
        failed = outbox.failed(session, limit=20)
    if as_json:
        echo_json({"outbox": queue, "inbound": read, "unreadable": unreadable, "failed": failed})
        return
    states = ", ".join(f"{number(n)} {_(state)}" for state, n in sorted(queue.items()))
    outcomes = ", ".join(f"{number(n)} {_(outcome)}" for outcome, n in sorted(read.items()))
    click.echo(_("outbox:  {states}").format(states=states or _("empty")))
    click.echo(_("inbound: {outcomes}").format(outcomes=outcomes or _("nothing read")))
    for row in failed:
        click.echo(
            "  "
            + _("failed reply {id} on ticket {ticket} to {address}: {reason}").format(
                id=row.id, ticket=row.ticket_id, address=one_line(row.to_address), reason=row.last_error
            )
        )
    if unreadable:
        click.echo(_("could not read:"))
    for entry in unreadable:
        click.echo(
            f"  {entry.received_at:%Y-%m-%d %H:%M} {one_line(entry.source_ref, 40)}: {one_line(entry.reason, 100)}"
        )
