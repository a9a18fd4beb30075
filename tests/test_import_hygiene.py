"""The service layer and headless commands never import Textual or Rich (cron stays fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def headless_modules() -> list[str]:
    """Every module of the layers below the UI, found on disk so a new one is covered at once."""
    import pkgutil

    import dtc_tui.commands
    import dtc_tui.models
    import dtc_tui.services

    names = ["dtc_tui.db", "dtc_tui.cli", "dtc_tui.config", "dtc_tui.clock"]
    for package in (dtc_tui.services, dtc_tui.models, dtc_tui.commands):
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return names


SERVICE_MODULES = headless_modules()


def test_services_do_not_import_textual_or_rich() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {SERVICE_MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_headless_command_does_not_import_textual(tmp_path: Path) -> None:
    db_path = tmp_path / "h.db"
    from click.testing import CliRunner

    from dtc_tui.cli import main_group

    assert (
        CliRunner().invoke(main_group, ["--db", str(db_path), "db", "upgrade"]).exit_code == 0
    )  # read commands do not create
    code = (
        "import sys\n"
        "from dtc_tui.cli import main_group\n"
        f"try:\n    main_group(['--db', {str(db_path)!r}, 'db', 'info', '--json'])\n"
        "except SystemExit as exc:\n    assert exc.code in (0, None), exc.code\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print('IMPORTED:' + ','.join(bad), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"revision"' in out.stdout
    assert "IMPORTED:\n" in out.stderr or out.stderr.strip().endswith("IMPORTED:")
