"""Path completion the way a shell does it (the import dialog's Tab).

``complete("da", cwd)`` looks in the folder of the typed text for names starting with its last
part: one match is completed (a folder with ``/`` after it), several are extended to their common
prefix and returned as choices. Hidden names only when the typed part starts with ``.``.
``~`` stays in the text as typed; it is expanded only to read the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_CHOICES = 200  # a huge folder: the first names, sorted, are enough to read


@dataclass(frozen=True)
class Completion:
    text: str  # the field's new text (the typed text when nothing can be added)
    choices: list[str] = field(default_factory=list)  # names when more than one fits ("dir/" for folders)

    @property
    def unique(self) -> bool:
        return not self.choices


def complete(typed: str, cwd: Path) -> Completion:
    head, sep, part = typed.rpartition("/")
    folder_text = head + sep  # "" or "some/dir/" (or "/" for the root)
    folder = Path(os.path.expanduser(folder_text)) if folder_text else Path()
    if not folder.is_absolute():
        folder = cwd / folder
    show_hidden = part.startswith(".")
    names: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.name.startswith(part) or (entry.name.startswith(".") and not show_hidden):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                names.append(entry.name + ("/" if is_dir else ""))
    except OSError:  # no such folder, or not readable: nothing to complete
        return Completion(typed)
    if not names:
        return Completion(typed)
    names.sort()
    if len(names) == 1:
        return Completion(folder_text + names[0])
    prefix = os.path.commonprefix(names)
    return Completion(folder_text + prefix, names[:MAX_CHOICES])
