"""One cold start, run as its own process by ``bench/run.py``: the app as ``dtc-tui --db X`` builds it.

    .venv/bin/python bench/probe.py DB AREA OUT [--until first|usable] [--size 120x40]

Imports ``dtc_tui.cli`` (what the ``dtc-tui`` script imports), then does what ``cli.main()`` and
``cli._open_app()`` do: pauses the garbage collector for the start-up (``dtc_tui.startup``),
resolves settings and the database (``CliContext.engine()``: migrations checked, defaults
ensured), builds ``DtcApp`` with ``start_area=AREA`` and runs it headless. Every frame Textual hands to the
terminal is noted; the process exits at the first frame of AREA's screen (``--until first``) or
at the first frame after the screen's data is on it (``--until usable``: the overview and the
reorder board compute in a worker thread and show "Loading..." / "Computing..." until then).

Writes JSON to OUT: wall-clock stamps (``time.time()``, so the parent can subtract its own spawn
time) of the first frame and of the usable frame, and the peak resident memory (VmHWM) then.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

# Screens whose data arrives from a worker: ready once the attribute the worker fills is set.
READY_ATTRIBUTE = {"overview": "overview", "inventory": "board"}
TIMEOUT_SECONDS = 120.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ready(screen: Any, area: str) -> bool:
    attribute = READY_ATTRIBUTE.get(area)
    return attribute is None or getattr(screen, attribute, None) is not None


def main(database: str, area: str, out: Path, until: str = "usable", size: tuple[int, int] = (120, 40)) -> None:
    phases: dict[str, float] = {"started_at": time.time()}
    import dtc_tui.cli  # noqa: F401  (what the dtc-tui script imports first)
    from dtc_tui import startup
    from dtc_tui.commands.common import CliContext
    from dtc_tui.config import load_settings, normalise_db_argument

    startup.pause_gc()  # as cli.main()
    phases["cli_imported_at"] = time.time()
    settings = load_settings()
    ctx = CliContext(settings=settings, database_url=normalise_db_argument(database), database_source="--db")
    startup.hold_until_app_ready()  # as cli._open_app()
    engine = ctx.engine()
    phases["database_ready_at"] = time.time()
    from dtc_tui.ui.app import DtcApp

    phases["app_imported_at"] = time.time()
    app = DtcApp(
        engine=engine, settings=ctx.settings, clock=ctx.clock, database_label=ctx.database_url, start_area=area
    )
    result: dict[str, Any] = {"area": area, **phases}
    original = app._display

    def display(screen: Any, renderable: Any) -> Any:
        outcome = original(screen, renderable)
        if renderable is None or getattr(app.screen, "AREA", None) != area or "usable_at" in result:
            return outcome
        now = time.time()
        result.setdefault("first_frame_at", now)
        if until == "first" or ready(app.screen, area):
            result["usable_at"] = now
            result["peak_rss_mb"] = peak_rss_mb()
            app.exit()
        return outcome

    app._display = display  # type: ignore[method-assign]

    def give_up() -> None:
        result["error"] = f"no {until} frame of {area} within {TIMEOUT_SECONDS:.0f} s"
        app.exit()

    app.call_later(lambda: app.set_timer(TIMEOUT_SECONDS, give_up))
    app.run(headless=True, size=size)
    result["run_returned_at"] = time.time()
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("area")
    parser.add_argument("out", type=Path)
    parser.add_argument("--until", choices=("first", "usable"), default="usable")
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    main(args.database, args.area, args.out, args.until, (width, height))
    sys.exit(0)
