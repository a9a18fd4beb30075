"""The import dialog's one call: run an import of a file (or a dry run)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dtc_tui.ui.facades.base import Facade

if TYPE_CHECKING:
    from dtc_tui.services.common.pathcomplete import Completion
    from dtc_tui.services.importers.base import ImportSummary
    from dtc_tui.services.importers.pipeline import Progress


class ImportFacade(Facade):
    def run(
        self,
        kind: str,
        path: Path,
        *,
        tz: str,
        dry_run: bool,
        progress: Progress | None = None,
        date_order: str | None = None,
        rejects: Path | None = None,
    ) -> ImportSummary:
        """Raises ``ImportFailed`` (all or nothing) or ``ValueError`` (an unknown time zone)."""
        from dtc_tui.services.importers.pipeline import run_import  # heavy: imported when a file is imported

        return run_import(
            self.engine,
            kind,
            path,
            now=self.now(),
            actor=self.operator,
            tz=tz,
            dry_run=dry_run,
            progress=progress,
            date_order=date_order,
            rejects=rejects,
        )

    def last_folder(self) -> Path | None:
        """The folder this operator last imported from on this machine, if it still exists."""
        from dtc_tui.services.common import uistate

        value = uistate.recall(self.operator, uistate.LAST_IMPORT_FOLDER)
        return Path(value) if value and Path(value).is_dir() else None

    def remember_folder(self, folder: Path) -> None:
        from dtc_tui.services.common import uistate

        uistate.remember(self.operator, uistate.LAST_IMPORT_FOLDER, str(folder.resolve()))

    def complete_path(self, typed: str) -> Completion:
        from dtc_tui.services.common.pathcomplete import complete

        return complete(typed, Path.cwd())
