"""Handing memory the process no longer uses back to the operating system.

glibc's allocator keeps freed small blocks in its arenas for reuse. After a big import (or the
language model's release) that is tens of MB the process still holds: a second import in the same
process (the app, a re-import) then grows on top of it instead of reusing it, because the new
objects do not fit the holes the old ones left. ``malloc_trim`` returns the free pages.
Elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def _find_trim() -> Callable[[int], int] | None:
    global _trim, _looked
    if not _looked:
        _looked = True
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                _trim = libc.malloc_trim
            except (OSError, AttributeError):  # not glibc
                _trim = None
    return _trim


def return_free_memory() -> bool:
    """Give the allocator's free pages back to the system; True when it released any."""
    trim = _find_trim()
    return bool(trim(0)) if trim is not None else False
