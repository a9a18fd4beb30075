"""Small per-operator UI memory kept on this machine (not in the shared database).

What belongs here is local to the machine the operator sits at, such as the last folder a file
was imported from: a path on one laptop means nothing to a colleague's (drafts and overview
acknowledgements are team data and live in the database). One JSON file in the user's state
directory (``~/.local/state/dtc-tui/ui-state.json`` on Linux), keyed by operator, then by name.
A missing or unreadable file is an empty memory; a failed write is ignored (it is only a memory).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FILE_NAME = "ui-state.json"
LAST_IMPORT_FOLDER = "import.last_folder"


def state_file() -> Path:
    from platformdirs import user_state_path

    from dtc_tui.config import APP_NAME

    return user_state_path(APP_NAME, appauthor=False) / FILE_NAME


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recall(operator: str, name: str, *, path: Path | None = None) -> str | None:
    entry = _read(path or state_file()).get(operator)
    value = entry.get(name) if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


def remember(operator: str, name: str, value: str, *, path: Path | None = None) -> None:
    target = path or state_file()
    data = _read(target)
    entry = data.get(operator)
    if not isinstance(entry, dict):
        entry = data[operator] = {}
    entry[name] = value
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        # 0600 like every file the app writes: the folders an operator opens are theirs to see.
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, indent=1, sort_keys=True))
        os.replace(partial, target)
    except OSError:
        return
