"""Start-up cost: Python's garbage collector while dtc-tui starts.

Starting allocates a few hundred thousand long-lived objects (SQLAlchemy, the SQLModel tables,
Textual's widgets and styles), and the cyclic collector walks all of them again each time a
generation fills up: about 0.1 s of the app's start to its first frame (bench/, issue 10). The
``dtc-tui`` command therefore turns the collector off while it starts, and once it is up (a
headless command's database is ready; the app has drawn its first screen) freezes what exists
(``gc.freeze``: start-up objects are never scanned again) and turns it back on.

Only ``dtc_tui.cli.main`` pauses it: code that imports dtc_tui as a library, the tests
included, keeps the interpreter's default.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_paused = False
_hold_for_app = False
_managed = False  # this process's collector is dtc-tui's to tune (the dtc-tui command)
_building = 0  # long_lived() blocks running (in worker threads)
_reenable = False  # the collector was on when the first of them began
_lock = threading.Lock()


def pause_gc() -> None:
    """At the very start of the command, before the heavy imports."""
    global _paused, _managed
    if gc.isenabled():
        gc.disable()
        _paused = _managed = True


def hold_until_app_ready() -> None:
    """The app is starting: keep the collector off through the UI imports, until ``app_ready``."""
    global _hold_for_app
    _hold_for_app = True


def database_ready() -> None:
    """Headless commands: imports and migrations are done; collect normally from here."""
    if not _hold_for_app:
        _resume()


def app_ready() -> None:
    """The app has mounted its first screen."""
    _resume()


def _resume() -> None:
    global _paused
    with _lock:
        if _paused:
            gc.freeze()
            _paused = False
            if not _building:  # else the build turns it on when it ends (``long_lived``)
                gc.enable()


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Around building a large structure that lives until it is replaced (the reorder board:
    ~150k objects at 10k SKUs, none in a cycle). The collector is paused meanwhile, and where
    dtc-tui manages it, the new objects are frozen before it resumes, as the start-up objects
    are: else the first collections walk all of them (50-100 ms each on the UI thread, at
    whatever key is pressed then) and every later full collection again. They are still freed
    when the next board replaces them (by reference count); only cyclic garbage that exists at
    that moment is kept."""
    global _building, _reenable
    with _lock:
        _reenable = _reenable or gc.isenabled()
        gc.disable()
        _building += 1
    try:
        yield
    finally:
        with _lock:
            _building -= 1
            resumed = _managed and not _paused
            if resumed:
                gc.freeze()
            if not _building:
                # Back on if it was on when the first of them began, or if the start-up ended
                # meanwhile (it left turning it on to the builds).
                if (_reenable or resumed) and not _paused:
                    gc.enable()
                _reenable = False
