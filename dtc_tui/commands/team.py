"""``dtc-tui team ...``: the role matrix, its checks, ticket routing and stage templates (headless)."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from dtc_tui.commands.common import CliContext, csv_option, echo_json, json_option, pass_ctx
from dtc_tui.i18n import _, ngettext, pgettext
from dtc_tui.services.common.periods import MOMENT_SYNTAX


@click.group("team")
def team_group() -> None:
    """Who owns which duty, coverage gaps, overload and ticket routing."""


AT_HELP = f"At this time: {MOMENT_SYNTAX} (naive = UTC); default now."


def _parse_at(value: str | None, ctx: CliContext) -> datetime:
    """--at in the shared period language (a moment; a bad one is a user error: one line, exit 2)."""
    from dtc_tui.services.common.periods import parse_moment

    return parse_moment(value, ctx.now()) if value else ctx.now()


@team_group.command("matrix")
@json_option()
@csv_option("Print CSV: one row per duty, one column per person.")
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive people and duties.")
@pass_ctx
def matrix_command(ctx: CliContext, as_json: bool, as_csv: bool, include_inactive: bool) -> None:
    """The RACI matrix: duties (grouped by function) x people."""
    from dtc_tui import db
    from dtc_tui.services.team import matrix as team

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    with db.read_session(ctx.engine()) as session:
        m = team.matrix(session, include_inactive=include_inactive)
    if as_json:
        handle = {p.id: p.handle for p in m.people}
        code = {d.id: d.code for d in m.duties}
        echo_json(
            {
                "people": m.people,
                "duties": m.duties,
                "cells": [
                    {"duty": code[d], "person": handle[p], "role": role} for (d, p), role in sorted(m.roles.items())
                ],
            }
        )
        return
    if as_csv:
        import csv

        from dtc_tui.services.common.text import neutralise_formula

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["function", "duty", "name", *[neutralise_formula(p.handle) for p in m.people]])
        for duty in m.duties:
            writer.writerow(
                [
                    duty.function,
                    duty.code,
                    neutralise_formula(duty.name),
                    *[m.role(duty.id, p.id) or "" for p in m.people],
                ]
            )
        return
    from dtc_tui.services.common import localefmt

    if not m.duties:
        click.echo(_("No duties yet. Load a stage's duties with 'dtc-tui team template startup|growth|mature'."))
        return
    widths = [max(len(p.handle), 2) for p in m.people]
    code_width = max(len(d.code) for d in m.duties)
    click.echo(
        localefmt.pad_cells(_("duty"), code_width + 2)
        + " "
        + " ".join(f"{p.handle:>{w}}" for p, w in zip(m.people, widths, strict=True))
    )
    function = None
    for duty in m.duties:
        if duty.function != function:
            function = duty.function
            click.echo(team.function_label(function))
        cells = " ".join(f"{m.role(duty.id, p.id) or '.':>{w}}" for p, w in zip(m.people, widths, strict=True))
        click.echo(f"  {duty.code:<{code_width}} {cells}")


@team_group.command("check")
@json_option()
@click.option("--at", "at_text", metavar="TIME", help=AT_HELP)
@click.option("--list", "list_checks", is_flag=True, help="List what each check means and exit.")
@pass_ctx
def check_command(ctx: CliContext, as_json: bool, at_text: str | None, list_checks: bool) -> None:
    """Failed checks of the matrix; exit status 1 when any check fails."""
    from dtc_tui import db
    from dtc_tui.services.team import checks as team_checks

    if list_checks:
        for code, meaning in team_checks.CHECKS.items():
            click.echo(f"{code:<22} {_(meaning)}")
        return
    at = _parse_at(at_text, ctx)
    with db.read_session(ctx.engine()) as session:
        failed = team_checks.run(session, at)
    if as_json:
        echo_json({"at": at, "failed": [c.as_dict() for c in failed]})
    elif not failed:
        click.echo(_("All team checks pass."))
    else:
        for check in failed:
            click.echo(f"{check.code:<22} {check.message}")
        click.echo(ngettext("{count} check failed.", "{count} checks failed.", len(failed)).format(count=len(failed)))
    if failed:
        sys.exit(1)


@team_group.command("route")
@click.argument("category", required=False)
@click.option("--at", "at_text", metavar="TIME", help=AT_HELP)
@json_option()
@pass_ctx
def route_command(ctx: CliContext, category: str | None, at_text: str | None, as_json: bool) -> None:
    """Who gets a ticket of CATEGORY (every category when none is given)."""
    from dtc_tui import db
    from dtc_tui.services.team import matrix as team

    at = _parse_at(at_text, ctx)
    with db.read_session(ctx.engine()) as session:
        if category is not None:
            result = team.route(session, category, at)
            if as_json:
                echo_json(result)
            else:
                via = _(team.VIA_WORDS.get(result.via, result.via))
                click.echo(
                    f"{category} -> "
                    + (result.person_handle or _("nobody"))
                    + " ("
                    + (_("via {via}") if result.on_duty else _("via {via}, not on duty")).format(via=via)
                    + ")"
                )
                click.echo(f"  {result.reason}")
            return
        rows = team.routing_table(session, at)
    if as_json:
        echo_json({"at": at, "routes": rows})
        return
    from dtc_tui.services.common import localefmt

    pad = localefmt.pad_cells
    heads = [pad(_("category"), 14), pad(_("duty"), 18), pad(_("owner"), 12), pad(_("backup"), 12), _("gets it")]
    click.echo(" ".join(heads))
    off = " (" + pgettext("person not at work", "off") + ")"
    for row in rows:
        owner = f"{row.owner_handle}{'' if row.owner_on_duty else off}" if row.owner_handle else "-"
        backup = f"{row.backup_handle}{'' if row.backup_on_duty else off}" if row.backup_handle else "-"
        gets = row.route.person_handle or _("nobody")
        if row.route.via != "none" and not row.route.on_duty:
            gets += " (" + _("nobody on duty") + ")"
        click.echo(f"{row.category:<14} {row.duty_code or '-':<18} {pad(owner, 12)} {pad(backup, 12)} {gets}")


@team_group.command("template")
@click.argument("stage", type=click.Choice(["startup", "growth", "mature"]))
@pass_ctx
def template_command(ctx: CliContext, stage: str) -> None:
    """Load a growth stage's duties (by code; existing duties, people and assignments are left alone)."""
    from dtc_tui import db
    from dtc_tui.services.team.templates import load_template

    with db.write_session(ctx.engine()) as session:
        result = load_template(session, stage, actor=ctx.operator, now=ctx.now())
    click.echo(
        _("{stage}: {added} duties added, {present} already present").format(
            stage=stage, added=len(result.added), present=len(result.present)
        )
        + (
            _(", routing rules added for {categories}").format(categories=", ".join(result.rules_added))
            if result.rules_added
            else ""
        )
    )
    if result.added:
        click.echo("  " + _("added: {codes}").format(codes=", ".join(result.added)))


@team_group.command("set")
@click.argument("duty")
@click.argument("handle")
@click.argument("role", type=click.Choice(["R", "A", "C", "I", "-"], case_sensitive=False))
@pass_ctx
def set_command(ctx: CliContext, duty: str, handle: str, role: str) -> None:
    """Set one cell: DUTY code, person HANDLE, ROLE R|A|C|I, or - to clear it."""
    from dtc_tui import db
    from dtc_tui.services.team import matrix as team
    from dtc_tui.services.team import ops as team_ops

    engine = ctx.engine()
    with db.read_session(engine) as session:
        m = team.matrix(session)
    duty_info = m.duty_by_code(duty)
    person = next((p for p in m.people if p.handle == handle), None)
    if duty_info is None:
        raise click.ClickException(_("no active duty with code {code!r}").format(code=duty))
    if person is None:
        raise click.ClickException(_("no active person with handle {handle!r}").format(handle=handle))
    new = None if role == "-" else role.upper()
    try:
        team_ops.set_role(
            engine,
            duty_id=duty_info.id,
            person_id=person.id,
            role=new,
            expected=m.role(duty_info.id, person.id),
            actor=ctx.operator,
            now=ctx.now(),
        )
    except team_ops.TeamError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{duty} / {handle}: " + (new or _("cleared")))
