"""``dtc-tui import KIND FILE`` and ``dtc-tui export KIND``: files in and out."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import click

from dtc_tui.commands.common import CliContext, echo_json, json_option, pass_ctx
from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.importers import EXPORT_KINDS, FORMAT_KINDS, IMPORT_KINDS

SHOW_PROGRESS_AFTER = 1.0  # seconds: quick imports print no bar
PHASES = (N_("checking"), N_("writing"))  # the progress bar's labels (the importer names them in English)


def _kinds_epilog() -> str:
    """The kinds, in the language spoken when the help is shown (built then, not at import)."""
    lines = [f"  {kind:<18} {_(description)}" for kind, (_m, _c, description) in FORMAT_KINDS.items()]
    tables = textwrap.fill(
        ", ".join(kind for kind in IMPORT_KINDS if kind not in FORMAT_KINDS),
        width=76,
        break_on_hyphens=False,
        initial_indent="  ",
        subsequent_indent="  ",
    )
    return (
        "\b\n"
        + _("Kinds:")
        + "\n"
        + "\n".join(lines)
        + "\n\b\n"
        + _("This app's own CSV/JSON (what 'dtc-tui export' writes):")
        + "\n"
        + tables
    )


class _ImportCommand(click.Command):
    """``import``, whose epilog lists the kinds in the language of the moment."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(_kinds_epilog())


class _LazyProgress:
    """A Rich progress bar on stderr that appears only once an import has run for a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, fraction: float, phase: str) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < SHOW_PROGRESS_AFTER:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
            from rich.table import Column

            self.bar = Progress(
                TextColumn("{task.description}", table_column=Column(min_width=9)),
                BarColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(_(phase), total=1.0)
        self.bar.update(self.task, completed=fraction, description=_(phase))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def parse_maps(values: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``status:Waiting on Acme=pending`` -> {"status": {"waiting on acme": "pending"}}."""
    mappings: dict[str, dict[str, str]] = {}
    for value in values:
        field, sep, rest = value.partition(":")
        source, eq, target = rest.rpartition("=")
        if not sep or not eq or not field.strip() or not source.strip() or not target.strip():
            raise click.BadParameter(
                _('{value!r}: write FIELD:FILE VALUE=VALUE, e.g. status:"Waiting on X"=pending').format(value=value)
            )
        mappings.setdefault(field.strip().lower(), {})[source.strip().strip('"').lower()] = target.strip().strip('"')
    return mappings


@click.command("import", cls=_ImportCommand)
@click.argument("kind", metavar="[KIND]")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--dry-run", is_flag=True, help="Check every row and count what would change; write nothing.")
@click.option(
    "--skip-invalid",
    "rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="REJECTS.csv",
    help="Write the good rows; put the bad ones in REJECTS.csv with an error column.",
)
@click.option(
    "--tz",
    default=None,
    help="Time zone of times written without an offset in the file (IANA name, e.g. Europe/Berlin; "
    "default UTC, and a help-desk summary says so).",
)
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    default=None,
    help="Order of slash dates (01/02/2025) when no value in the file decides: dmy day first, mdy month first.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar='FIELD:"VALUE"=VALUE',
    help='Map a value of the file, e.g. status:"Waiting on Acme"=pending, group:Tier2=Returns, '
    "category:Damaged=returns (repeatable).",
)
@json_option("Print the summary as JSON.")
@pass_ctx
def import_command(
    ctx: CliContext,
    kind: str,
    file: Path | None,
    dry_run: bool,
    rejects: Path | None,
    tz: str | None,
    date_order: str | None,
    maps: tuple[str, ...],
    as_json: bool,
) -> None:
    """Import FILE as KIND (detected from the header when left out): every row is checked first;
    one bad row means nothing is written.

    Re-importing the same file changes nothing (rows are matched on their natural keys).
    """
    from dtc_tui.services.importers.base import grouped_errors
    from dtc_tui.services.importers.errors import ImportFailed
    from dtc_tui.services.importers.pipeline import resolve_zone, run_import

    mappings = parse_maps(maps)
    if tz is not None:
        try:
            resolve_zone(tz)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--tz") from exc
    if file is None:
        file = Path(kind)
        if not file.is_file():
            raise click.ClickException(_("{file}: no such file").format(file=file))
        from dtc_tui.services.importers.detect import detect_kind

        try:
            detected = detect_kind(file)
        except ImportFailed as exc:
            raise click.ClickException("; ".join(str(error) for error in exc.errors)) from exc
        kind = detected.kind
        click.echo(
            _("importing {file} as {kind}: {reason}").format(file=file, kind=kind, reason=detected.reason), err=True
        )
    elif kind not in IMPORT_KINDS:
        raise click.BadParameter(
            _("{kind!r} is not one of {kinds}.").format(kind=kind, kinds=", ".join(map(repr, IMPORT_KINDS))),
            param_hint="KIND",
        )
    if not file.is_file():
        raise click.ClickException(_("{file}: no such file").format(file=file))
    if rejects is not None and rejects.resolve() == file.resolve():
        raise click.ClickException(_("the rejects file must not be the file being imported"))
    if rejects is not None and not rejects.resolve().parent.is_dir():
        raise click.ClickException(_("cannot write {file}: no such directory").format(file=rejects))
    progress = _LazyProgress(enabled=sys.stderr.isatty() and not as_json)
    try:
        summary = run_import(
            ctx.engine(create=True),
            kind,
            file,
            now=ctx.now(),
            actor=ctx.operator,
            tz=tz,
            dry_run=dry_run,
            rejects=rejects,
            progress=progress,
            date_order=date_order,
            mappings=mappings,
        )
    except ImportFailed as exc:
        progress.close()
        for line in grouped_errors(exc.errors):
            click.echo(line, err=True)
        raise click.ClickException(_("cannot import {file}; nothing was written").format(file=file)) from exc
    except OSError as exc:  # the rejects file cannot be written, the file vanished...
        progress.close()
        raise click.ClickException(
            _("{file}: {reason}; nothing was written").format(file=exc.filename or file, reason=exc.strerror)
        ) from exc
    progress.close()
    for line in grouped_errors(summary.errors):
        click.echo(line, err=True)
    if as_json:
        echo_json(summary.as_dict())
    else:
        for line in summary.lines():
            click.echo(line)
    if summary.failed:
        from dtc_tui.services.common.localefmt import number

        raise click.ClickException(
            ngettext(
                "{problems} problem in {rejected} of {rows} rows; nothing was written "
                "(fix the file, or use --skip-invalid REJECTS.csv to import the good rows)",
                "{problems} problems in {rejected} of {rows} rows; nothing was written "
                "(fix the file, or use --skip-invalid REJECTS.csv to import the good rows)",
                len(summary.errors),
            ).format(problems=number(len(summary.errors)), rejected=number(summary.rejected), rows=number(summary.rows))
        )


@click.command("export")
@click.argument("kind", type=click.Choice(EXPORT_KINDS), metavar="KIND")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="File format (default: from the -o file's extension, else csv).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@pass_ctx
def export_command(ctx: CliContext, kind: str, fmt: str | None, output: Path | None) -> None:
    """Export one table as CSV or JSON (what 'dtc-tui import KIND' reads back).

    Text cells starting with = + - @ are prefixed with ' against spreadsheet formula injection;
    number columns (negative amounts) stay numbers.
    """
    from dtc_tui.services.common.exporters import export_table
    from dtc_tui.services.common.localefmt import number

    if fmt is None:
        fmt = "json" if output is not None and output.suffix.lower() == ".json" else "csv"
    engine = ctx.engine()
    if output is None or str(output) == "-":
        stream = sys.stdout
        result = export_table(engine, kind, stream, fmt=fmt, now=ctx.now())
        stream.flush()
        click.echo(
            ngettext("exported {count} {table} row", "exported {count} {table} rows", result.rows).format(
                count=number(result.rows), table=result.table
            ),
            err=True,
        )
        return
    partial = output.with_name(f".{output.name}.part")
    try:
        from dtc_tui.services.common.files import open_private

        with open_private(partial, "w", encoding="utf-8", newline="") as handle:
            result = export_table(engine, kind, handle, fmt=fmt, now=ctx.now())
        os.replace(partial, output)  # readers never see a half-written file
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(_("cannot write {file}: {reason}").format(file=output, reason=exc.strerror)) from exc
    click.echo(
        ngettext(
            "exported {count} {table} row to {file} ({format})",
            "exported {count} {table} rows to {file} ({format})",
            result.rows,
        ).format(count=number(result.rows), table=result.table, file=output, format=fmt),
        err=True,
    )
