"""``dtc-tui settings``: the domain thresholds (defaults from domain.md) and their overrides."""

from __future__ import annotations

import json

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import _


@click.group("settings")
def settings_group() -> None:
    """Domain thresholds: SLA, stock, ads, team and signal rules (stored per database)."""


@settings_group.command("list")
@json_option()
@click.argument("prefix", required=False, default="")
@pass_ctx
def list_settings(ctx: CliContext, as_json: bool, prefix: str) -> None:
    """Every setting (or those starting with PREFIX, e.g. 'sla.'), its value and where it comes from."""
    from dtc_tui import db
    from dtc_tui.services.common import settings

    with db.read_session(ctx.engine()) as session:
        values = {k: v for k, v in settings.all_settings(session).items() if k.startswith(prefix)}
    if as_json:
        echo_json({key: {"value": value, "source": source} for key, (value, source) in values.items()})
        return
    words = {"default": _("default"), "database": _("database")}
    for key, (value, source) in values.items():
        click.echo(f"{key:<36} {json.dumps(value):<16} {words.get(source, source)}")


@settings_group.command("set")
@click.argument("key")
@click.argument("value")
@pass_ctx
def set_setting(ctx: CliContext, key: str, value: str) -> None:
    """Override a setting for this database (VALUE is JSON: 0.3, 7, "steady", [0.1, 0.15]); audited."""
    from dtc_tui import db
    from dtc_tui.services.common import settings

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value  # a bare word is a string
    try:
        with db.write_session(ctx.engine()) as session:
            settings.put(session, key, parsed, actor=ctx.operator, now=ctx.now())
    except settings.UnknownSetting as exc:
        raise click.ClickException(
            _("unknown setting {key!r}; 'dtc-tui settings list' shows them all").format(key=key)
        ) from exc
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{key} = {json.dumps(parsed)}")


@settings_group.command("reset")
@click.argument("key")
@pass_ctx
def reset_setting(ctx: CliContext, key: str) -> None:
    """Go back to the default of a setting."""
    from dtc_tui import db
    from dtc_tui.services.common import settings

    try:
        with db.write_session(ctx.engine()) as session:
            default = settings.reset(session, key, actor=ctx.operator, now=ctx.now())
    except settings.UnknownSetting as exc:
        raise click.ClickException(_("unknown setting {key!r}").format(key=key)) from exc
    click.echo(f"{key} = {json.dumps(default)} (" + _("default") + ")")
