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

import gc

_paused = False
_hold_for_app = False


def pause_gc() -> None:
    """At the very start of the command, before the heavy imports."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


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
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False
