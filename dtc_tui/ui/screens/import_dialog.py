"""Import a file from inside the app: pick the kind, type the path, read the summary.

The import runs in a worker thread (the UI keeps drawing; a progress bar appears for big
files) with the same service as ``dtc-tui import``: every row is checked first and nothing is
written when one fails. The dialog returns the summary when it closes, so the caller can
reload the screen underneath.
"""

from __future__ import annotations

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

from dtc_tui.services.importers import FORMAT_KINDS, IMPORT_KINDS, describe
from dtc_tui.ui.safe import safe

if TYPE_CHECKING:
    from dtc_tui.services.importers.base import ImportSummary
    from dtc_tui.ui.app import DtcApp

MAX_ERRORS_SHOWN = 30


AUTO = "auto"
DATE_ORDERS = [("Dates: from file", AUTO), ("Day first (dmy)", "dmy"), ("Month first (mdy)", "mdy")]


def kind_options() -> list[tuple[str, str]]:
    formats = [(describe(kind).split(" -> ")[0], kind) for kind in FORMAT_KINDS]
    tables = [(f"dtc-tui export: {kind}", kind) for kind in IMPORT_KINDS if kind not in FORMAT_KINDS]
    return [("Detect from the header", AUTO), *formats, *tables]


class TextCheckbox(Checkbox, inherit_bindings=False):
    """A checkbox whose state is a word, not a colour: ``[x] Dry run`` / ``[ ] Dry run``.

    Only Space toggles it: Enter, pressed to "go" from anywhere in the dialog, must not
    silently turn a dry run into a real import.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "Toggle", show=False)]

    @property
    def _button(self) -> Content:
        return Content.assemble(("[x]" if self.value else "[ ]", self.get_visual_style("toggle--label")))


class ImportDialog(ModalScreen["ImportSummary | None"]):
    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    ImportDialog > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1; }
    ImportDialog .row { height: auto; }
    ImportDialog .row > Label { width: 9; padding: 1 0 0 0; }
    ImportDialog Select { width: 1fr; }
    ImportDialog #date-order { width: 24; margin-left: 1; }
    ImportDialog #path { width: 1fr; }
    ImportDialog #tz { width: 22; }
    ImportDialog #dry-run { width: auto; border: none; padding: 1 1 0 1; }
    ImportDialog Button { min-width: 10; margin-left: 1; }
    ImportDialog ProgressBar { display: none; }
    ImportDialog ProgressBar.-busy { display: block; }
    ImportDialog #result { height: auto; max-height: 12; }
    ImportDialog .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="import.close"),
        Binding("ctrl+s", "run", "Import", id="import.run"),
    ]

    def __init__(self, path: str = "", kind: str = AUTO, *, dry_run: bool = True) -> None:
        super().__init__()
        self.initial_path = path
        self.initial_dry_run = dry_run  # on by default: the first run of a new file only reports
        self.initial_kind = kind
        self.summary: ImportSummary | None = None
        self.busy = False
        self.detected = ""  # "Imported as zendesk: ..." when the kind was detected

    @property
    def dtc(self) -> DtcApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Import a file", style="bold"))
            with Horizontal(classes="row"):
                yield Label("Kind")
                yield Select(kind_options(), value=self.initial_kind, allow_blank=False, id="kind")
                yield Select(DATE_ORDERS, value=AUTO, allow_blank=False, id="date-order")
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(self.initial_path, placeholder="path to the CSV or JSON file", id="path")
            with Horizontal(classes="row"):
                yield Label("Zone")
                yield Input("UTC", placeholder="UTC", id="tz")
                yield TextCheckbox("Dry run", self.initial_dry_run, id="dry-run")
                yield Button("Import", variant="primary", id="run")
                yield Button("Close", id="close")
            yield ProgressBar(total=1.0, show_eta=False, id="progress")
            with VerticalScroll(id="result"):
                yield Static(
                    Text(
                        "Enter or ctrl+s imports; every row is checked first, and nothing is written "
                        "when one fails. A dry run writes nothing: Tab to [x] Dry run, Space to turn it off. "
                        "Esc closes.",
                        style="dim",
                    ),
                    id="summary",
                )

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

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
            self._show(Text("Type the path of the file to import.", style="bold"))
            return
        path = Path(raw_path).expanduser()
        if not path.is_file():
            self._show(safe(f"{path}: no such file"))
            return
        kind = str(self.query_one("#kind", Select).value)
        tz = self.query_one("#tz", Input).value.strip() or "UTC"
        order = str(self.query_one("#date-order", Select).value)
        dry_run = self.query_one("#dry-run", Checkbox).value
        self.busy = True
        self.query_one("#run", Button).disabled = True
        self._show(safe(f"Importing {path.name}..."))
        self.run_import(kind, path, tz, dry_run, None if order == AUTO else order)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def run_import(self, kind: str, path: Path, tz: str, dry_run: bool, date_order: str | None = None) -> None:
        from dtc_tui.services.importers.base import grouped_errors
        from dtc_tui.services.importers.errors import ImportFailed

        def progress(fraction: float, phase: str) -> None:
            self.app.call_from_thread(self._progress, fraction, phase)

        self.detected = ""
        try:
            if kind == AUTO:
                from dtc_tui.services.importers.detect import detect_kind

                found = detect_kind(path)
                kind, self.detected = found.kind, f"Imported as {found.kind}: {found.reason}"
            summary = self.dtc.facades.imports.run(
                kind, path, tz=tz, dry_run=dry_run, progress=progress, date_order=date_order
            )
        except ImportFailed as exc:
            self.app.call_from_thread(self._failed, grouped_errors(exc.errors))
        except ValueError as exc:  # an unknown time zone
            self.app.call_from_thread(self._failed, [str(exc)])
        else:
            self.app.call_from_thread(self._done, summary)

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
        text = Text("Cannot import this file; nothing was written.\n", style="bold")
        for line in errors:
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
        for line in summary.lines(timing=False):  # no timings: the dialog's snapshots stay stable
            text.append_text(safe(line))
            text.append("\n")
        if summary.errors:
            text.append("\nProblems:\n", style="bold")
            grouped = grouped_errors(summary.errors)
            for line in grouped[:MAX_ERRORS_SHOWN]:
                text.append_text(safe(line))
                text.append("\n")
            if len(grouped) > MAX_ERRORS_SHOWN:
                text.append(
                    f"... and {len(grouped) - MAX_ERRORS_SHOWN:,} more (run 'dtc-tui import' for the full list)\n",
                    style="dim",
                )
        self._show(text)
        if summary.written:
            self.dtc.notify_safe(
                f"Imported {summary.file}: {summary.inserted:,} inserted, {summary.updated:,} updated", title="Import"
            )

    def _show(self, text: Text) -> None:
        self.query_one("#summary", Static).update(text)

    def action_close(self) -> None:
        if self.busy:
            self.dtc.notify_safe(
                "The import is still running; it finishes or rolls back on its own.", severity="warning"
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
