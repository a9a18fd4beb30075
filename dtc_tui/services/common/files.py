"""Files the app writes that hold customer data (exports, rejects, backups): never world-readable.

Owner-only (0600), or owner and group (0660) inside a setgid directory, which is what
``dtc-tui db init --group TEAM`` sets up for a team. The mode is given at creation, so there is
no moment where the file is readable under a loose umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any


def private_mode(directory: Path) -> int:
    """0660 in a shared (setgid) directory, else 0600."""
    try:
        shared = bool(os.stat(directory).st_mode & stat.S_ISGID)
    except OSError:
        shared = False
    return 0o660 if shared else 0o600


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` creating or truncating the file with ``private_mode`` permissions."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, private_mode(path.resolve().parent))
    os.fchmod(fd, private_mode(path.resolve().parent))  # an existing file keeps no looser mode
    return os.fdopen(fd, mode, **kwargs)
