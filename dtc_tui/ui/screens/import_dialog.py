"""Import a file from inside the app: pick the kind, type the path, read the summary.

The import runs in a worker thread (the UI keeps drawing; a progress bar appears for big
files) with the same service as ``dtc-tui import``: every row is checked first and nothing is
written when one fails. The dialog returns the summary when it closes, so the caller can
reload the screen underneath.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Select, Static

from dtc_tui.i18n import N_, _, ngettext
from dtc_tui.services.common import localefmt
from dtc_tui.services.importers import FORMAT_KINDS, IMPORT_KINDS
from dtc_tui.ui.safe import safe

if TYPE_CHECKING:
    from dtc_tui.services.importers.base import ImportSummary
    from dtc_tui.ui.app import DtcApp

MAX_ERRORS_SHOWN = 30
MAX_LINES_NAMED = 10  # "lines 3, 7, 12 and 40 more" before a skip-invalid import
MAX_CHOICES_SHOWN = 40  # names listed by a second Tab


AUTO = "auto"
DATE_ORDERS = [
    (N_("Dates: from file"), AUTO),
    (N_("Day first (dmy)"), "dmy"),
    (N_("Month first (mdy)"), "mdy"),
]
# Short names of the tools' exports for the kind picker (product names stay as they are).
KIND_LABELS: dict[str, str] = {
    "shopify-products": N_("Shopify products"),
    "shopify-inventory": N_("Shopify inventory"),
    "shopify-orders": N_("Shopify orders"),
    "shopify-sales": N_("Shopify sales over time"),
    "zendesk": N_("Zendesk tickets"),
    "freshdesk": N_("Freshdesk tickets"),
    "meta-ads": N_("Meta Ads"),
    "google-ads": N_("Google Ads"),
    "tiktok-ads": N_("TikTok Ads"),
}


def kind_options() -> list[tuple[str, str]]:
    formats = [(_(KIND_LABELS.get(kind, kind)), kind) for kind in FORMAT_KINDS]
    tables = [
        (_("dtc-tui export: {kind}").format(kind=kind), kind) for kind in IMPORT_KINDS if kind not in FORMAT_KINDS
    ]
    return [(_("Detect from the header"), AUTO), *formats, *tables]


def rejects_path(path: Path) -> Path:
    """Where a skip-invalid import puts the refused rows: beside the file (orders.csv ->
    orders.rejects.csv), the way ``dtc-tui import --skip-invalid`` is usually run."""
    return path.with_name(f"{path.stem}.rejects.csv")


def shown_folder(folder: Path) -> str:
    """A folder as the path field starts with it: ``~/exports/`` under the home folder."""
    home = Path.home()
    if folder == home:
        return "~/"
    try:
        return f"~/{folder.relative_to(home)}/"
    except ValueError:
        return str(folder).rstrip("/") + "/"


class TextCheckbox(Checkbox, inherit_bindings=False):
    """A checkbox whose state is a word, not a colour: ``[x] Dry run`` / ``[ ] Dry run``.

    Only Space toggles it: Enter, pressed to "go" from anywhere in the dialog, must not
    silently turn a dry run into a real import.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", N_("Toggle"), show=False)]

    @property
    def _button(self) -> Content:
        return Content.assemble(("[x]" if self.value else "[ ]", self.get_visual_style("toggle--label")))


class PathInput(Input):
    """The file field: Tab completes the path like a shell (a second Tab lists the choices);
    when there is nothing to complete, Tab moves on to the next field as everywhere else."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("tab", "complete", N_("Complete the path"), show=False)]

    def __init__(self, value: str, *, placeholder: str, id: str) -> None:
        # Not selected on focus: typing goes on after the remembered folder instead of replacing it.
        super().__init__(value, placeholder=placeholder, id=id, select_on_focus=False)
        self.last_tab_text: str | None = None  # the text a Tab left unchanged (the next Tab lists)

    def action_complete(self) -> None:
        dialog = self.screen
        if not isinstance(dialog, ImportDialog):
            return
        typed = self.value
        if not typed.strip():
            self.last_tab_text = None
            self.screen.focus_next()
            return
        result = dialog.dtc.facades.imports.complete_path(typed)
        if result.text != typed:  # completed (all of it, or the common part)
            self.value = result.text
            self.cursor_position = len(self.value)
            self.last_tab_text = self.value if result.choices else None
            if not result.choices and dialog.showing_choices:
                dialog.show_hint(None)  # the list of names is answered
            return
        if result.choices:
            if self.last_tab_text == typed:  # the second Tab: say what fits
                dialog.show_choices(result.choices)
            self.last_tab_text = typed
            return
        self.last_tab_text = None
        self.screen.focus_next()  # nothing to add: Tab moves on


class ImportDialog(ModalScreen["ImportSummary | None"]):
    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    ImportDialog > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    ImportDialog .row { height: auto; }
    ImportDialog .row > Label { width: 6; padding: 1 0 0 0; }
    ImportDialog Select { width: 1fr; }
    ImportDialog #date-order { width: 24; margin-left: 1; }
    ImportDialog #path { width: 1fr; }
    ImportDialog #tz { width: 14; }
    ImportDialog TextCheckbox { width: auto; border: none; padding: 1 1 0 1; }
    ImportDialog Button { min-width: 8; margin-left: 1; }
    ImportDialog ProgressBar { display: none; }
    ImportDialog ProgressBar.-busy { display: block; }
    ImportDialog #result { height: auto; max-height: 12; }
    ImportDialog .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="import.close"),
        Binding("ctrl+s", "run", N_("Import"), id="import.run"),
    ]

    def __init__(
        self, path: str | None = None, kind: str = AUTO, *, dry_run: bool = True, skip_invalid: bool = False
    ) -> None:
        super().__init__()
        self.initial_path = path  # None: start in the folder this operator last imported from
        self.initial_dry_run = dry_run  # on by default: the first run of a new file only reports
        self.initial_skip_invalid = skip_invalid
        self.initial_kind = kind
        self.summary: ImportSummary | None = None
        self.busy = False
        self.detected = ""  # "Imported as zendesk: ..." when the kind was detected
        # A skip-invalid import checked and waiting for a second ctrl+s: (its settings, its summary).
        self.pending_skip: tuple[tuple[object, ...], ImportSummary] | None = None
        self.showing_choices = False  # the result area lists the names a second Tab found

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        path = self.initial_path
        if path is None:
            folder = self.dtc.facades.imports.last_folder()
            path = shown_folder(folder) if folder is not None else ""
        with Vertical():
            yield Label(Text(_("Import a file"), style="bold"))
            with Horizontal(classes="row"):
                yield Label(_("Kind"))
                yield Select(kind_options(), value=self.initial_kind, allow_blank=False, id="kind")
                yield Select(
                    [(_(label), value) for label, value in DATE_ORDERS], value=AUTO, allow_blank=False, id="date-order"
                )
            with Horizontal(classes="row"):
                yield Label(_("File"))
                yield PathInput(path, placeholder=_("path to the CSV or JSON file (Tab completes)"), id="path")
            with Horizontal(classes="row"):
                yield Label(_("Zone"))
                yield Input("UTC", placeholder="UTC", id="tz")
                yield TextCheckbox(_("Dry run"), self.initial_dry_run, id="dry-run")
                yield TextCheckbox(_("Skip invalid"), self.initial_skip_invalid, id="skip-invalid")
                yield Button(_("Import"), variant="primary", id="run")
                yield Button(_("Close"), id="close")
            yield ProgressBar(total=1.0, show_eta=False, id="progress")
            with VerticalScroll(id="result"):
                yield Static(Text(self.help_text(), style="dim"), id="summary")

    @staticmethod
    def help_text() -> str:
        return "\n".join(
            (
                _("Enter or ctrl+s imports; every row is checked first, nothing is written when one fails."),
                _("Skip invalid: the good rows are written, after you see which rows are skipped."),
                _("Dry run writes nothing: Tab to [x] Dry run, Space turns it off. Esc closes."),
            )
        )

    def on_mount(self) -> None:
        path = self.query_one("#path", Input)
        path.focus()
        path.cursor_position = len(path.value)

    # --- the path field -----------------------------------------------------------------------

    def show_choices(self, choices: list[str]) -> None:
        text = Text(
            ngettext("{count} name fits:", "{count} names fit:", len(choices)).format(
                count=localefmt.number(len(choices))
            )
            + "\n",
            style="bold",
        )
        text.append_text(safe("  ".join(choices[:MAX_CHOICES_SHOWN])))
        if len(choices) > MAX_CHOICES_SHOWN:
            more = len(choices) - MAX_CHOICES_SHOWN
            text.append(" " + _("... and {count} more").format(count=localefmt.number(more)), style="dim")
        self._show(text)
        self.showing_choices = True

    def show_hint(self, text: Text | None) -> None:
        self._show(text if text is not None else Text(self.help_text(), style="dim"))

    @on(Input.Changed, "#path")
    @on(Select.Changed)
    @on(Checkbox.Changed, "#skip-invalid")
    @on(Input.Changed, "#tz")
    def _settings_changed(self) -> None:
        self.pending_skip = None  # a confirmation holds for the settings it was shown for

    # --- running ------------------------------------------------------------------------------

    @on(Input.Submitted, "#path")
    @on(Input.Submitted, "#tz")
    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_run(self) -> None:
        if self.busy:
            return
        raw_path = self.query_one("#path", Input).value.strip()
        if not raw_path:
            self._show(Text(_("Type the path of the file to import."), style="bold"))
            return
        path = Path(raw_path).expanduser()
        if not path.is_file():
            self._show(safe(_("{path}: no such file").format(path=path)))
            return
        kind = str(self.query_one("#kind", Select).value)
        tz = self.query_one("#tz", Input).value.strip() or "UTC"
        order = str(self.query_one("#date-order", Select).value)
        dry_run = self.query_one("#dry-run", Checkbox).value
        skip = self.query_one("#skip-invalid", Checkbox).value
        settings = (path.resolve(), kind, tz, order)
        confirmed = self.pending_skip is not None and self.pending_skip[0] == settings
        self.pending_skip = None
        self.busy = True
        self.query_one("#run", Button).disabled = True
        self._show(safe(_("Importing {name}...").format(name=path.name)))
        self.dtc.facades.imports.remember_folder(path.parent)
        # Skip invalid, for real: check first (a dry run) and show what would be skipped; the
        # second ctrl+s imports. Confirmed, or a dry run: one run.
        mode = "check" if skip and not dry_run and not confirmed else "write"
        self.run_import(kind, path, tz, dry_run, None if order == AUTO else order, skip=skip, mode=mode)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_import(
        self,
        kind: str,
        path: Path,
        tz: str,
        dry_run: bool,
        date_order: str | None = None,
        *,
        skip: bool = False,
        mode: str = "write",
    ) -> None:
        from dtc_tui.services.importers.base import grouped_errors
        from dtc_tui.services.importers.errors import ImportFailed

        def progress(fraction: float, phase: str) -> None:
            self.app.call_from_thread(self._progress, fraction, phase)

        self.detected = ""
        settings = (path.resolve(), kind, tz, date_order or AUTO)
        scratch: Path | None = None
        try:
            if kind == AUTO:
                from dtc_tui.services.importers.detect import detect_kind

                found = detect_kind(path)
                kind = found.kind
                self.detected = _("Read as {kind}: {reason}").format(kind=found.kind, reason=found.reason)
            rejects: Path | None = None
            if mode == "check":  # the refused rows of the check go to a scratch file
                handle, name = tempfile.mkstemp(prefix="dtc-rejects-", suffix=".csv")
                os.close(handle)
                scratch = rejects = Path(name)
            elif skip:  # a dry run too, as ``dtc-tui import --dry-run --skip-invalid`` does
                rejects = rejects_path(path)
            summary = self.dtc.facades.imports.run(
                kind,
                path,
                tz=tz,
                dry_run=dry_run or mode == "check",
                progress=progress,
                date_order=date_order,
                rejects=rejects,
            )
        except ImportFailed as exc:
            self.app.call_from_thread(self._failed, grouped_errors(exc.errors))
        except ValueError as exc:  # an unknown time zone
            self.app.call_from_thread(self._failed, [str(exc)])
        except OSError as exc:  # the rejects file cannot be written
            self.app.call_from_thread(
                self._failed, [_("{file}: {reason}").format(file=exc.filename or path, reason=exc.strerror)]
            )
        else:
            if mode == "check" and summary.rejected:
                self.app.call_from_thread(self._confirm_skip, settings, summary, rejects_path(path))
            elif mode == "check":  # nothing to skip: import right away
                self.app.call_from_thread(self._no_rows_to_skip, kind, path, tz, date_order)
            else:
                self.app.call_from_thread(self._done, summary)
        finally:
            if scratch is not None:
                scratch.unlink(missing_ok=True)

    def _no_rows_to_skip(self, kind: str, path: Path, tz: str, date_order: str | None) -> None:
        self.run_import(kind, path, tz, False, date_order, skip=True, mode="write")

    def _progress(self, fraction: float, phase: str) -> None:
        bar = self.query_one(ProgressBar)
        bar.add_class("-busy")
        bar.update(progress=fraction)

    def _finish(self) -> None:
        self.busy = False
        self.query_one("#run", Button).disabled = False
        self.query_one(ProgressBar).remove_class("-busy")

    def _failed(self, errors: list[str]) -> None:
        self._finish()
        text = Text(_("Cannot import this file; nothing was written.") + "\n", style="bold")
        for line in errors:
            text.append_text(safe(line))
            text.append("\n")
        self._show(text)

    @staticmethod
    def skipped_lines(summary: ImportSummary) -> str:
        """``{count} rows would be skipped: lines 3, 7 and 2 more``."""
        lines = sorted({error.line for error in summary.errors if error.line > 0})
        named = ", ".join(str(line) for line in lines[:MAX_LINES_NAMED])
        if len(lines) > MAX_LINES_NAMED:
            named = _("{lines} and {count} more").format(
                lines=named, count=localefmt.number(len(lines) - MAX_LINES_NAMED)
            )
        count = summary.rejected
        return ngettext(
            "{count} invalid row would be skipped: line {lines}",
            "{count} invalid rows would be skipped: lines {lines}",
            count,
        ).format(count=localefmt.number(count), lines=named)

    def _confirm_skip(self, settings: tuple[object, ...], summary: ImportSummary, rejects: Path) -> None:
        from dtc_tui.services.importers.base import grouped_errors

        self._finish()
        self.pending_skip = (settings, summary)
        good = summary.rows - summary.rejected - summary.ignored
        text = Text()
        if self.detected:
            text.append_text(safe(self.detected))
            text.append("\n")
        text.append(self.skipped_lines(summary) + "\n", style="bold")
        text.append(
            ngettext(
                "Press ctrl+s again to import the other {count} row; the skipped rows go to {file}.",
                "Press ctrl+s again to import the other {count} rows; the skipped rows go to {file}.",
                good,
            ).format(count=localefmt.number(good), file=rejects.name)
            + "\n"
        )
        text.append("\n" + _("Problems:") + "\n", style="bold")
        for line in grouped_errors(summary.errors)[:MAX_ERRORS_SHOWN]:
            text.append_text(safe(line))
            text.append("\n")
        self._show(text)

    def _done(self, summary: ImportSummary) -> None:
        from dtc_tui.services.importers.base import grouped_errors

        self._finish()
        self.summary = summary
        text = Text()
        if self.detected:
            text.append_text(safe(self.detected))
            text.append("\n")
        if summary.rejects_file and summary.rejected and summary.dry_run:
            text.append(self.skipped_lines(summary) + "\n", style="bold")
        for line in summary.lines(timing=False):  # no timings: the dialog's snapshots stay stable
            text.append_text(safe(line))
            text.append("\n")
        if summary.errors:
            text.append("\n" + _("Problems:") + "\n", style="bold")
            grouped = grouped_errors(summary.errors)
            for line in grouped[:MAX_ERRORS_SHOWN]:
                text.append_text(safe(line))
                text.append("\n")
            if len(grouped) > MAX_ERRORS_SHOWN:
                text.append(
                    _("... and {count} more (run 'dtc-tui import' for the full list)").format(
                        count=localefmt.number(len(grouped) - MAX_ERRORS_SHOWN)
                    )
                    + "\n",
                    style="dim",
                )
        self._show(text)
        if summary.written:
            self.dtc.notify_safe(
                _("Imported {file}: {inserted} inserted, {updated} updated").format(
                    file=summary.file,
                    inserted=localefmt.number(summary.inserted),
                    updated=localefmt.number(summary.updated),
                ),
                title=_("Import"),
            )

    def _show(self, text: Text) -> None:
        self.query_one("#summary", Static).update(text)
        self.showing_choices = False

    def action_close(self) -> None:
        if self.busy:
            self.dtc.notify_safe(
                _("The import is still running; it finishes or rolls back on its own."), severity="warning"
            )
            return
        self.dismiss(self.summary)


def open_import_dialog(app: DtcApp) -> None:
    """The command-palette action: open the dialog, reload the screen below after a write."""

    def after(summary: ImportSummary | None) -> None:
        if summary is not None and summary.written:
            reload = getattr(app.screen, "reload_data", None)
            if reload is not None:
                reload()

    app.push_screen(ImportDialog(), callback=after)
