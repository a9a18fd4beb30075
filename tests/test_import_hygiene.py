"""The service layer and headless commands never import Textual or Rich (cron stays fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SERVICE_MODULES = [
    "dtc_tui.services.sla", "dtc_tui.services.sla_store", "dtc_tui.services.business_hours",
    "dtc_tui.services.ticket_queue", "dtc_tui.services.demo", "dtc_tui.services.audit",
    "dtc_tui.services.ticket_ops", "dtc_tui.services.ticket_detail", "dtc_tui.services.ticket_kpis",
    "dtc_tui.services.presence", "dtc_tui.services.maintenance", "dtc_tui.services.overview",
    "dtc_tui.services.signals",
    "dtc_tui.models", "dtc_tui.db", "dtc_tui.cli",
    "dtc_tui.services.inventory", "dtc_tui.services.inventory_board", "dtc_tui.services.inventory_rules",
    "dtc_tui.services.inventory_health", "dtc_tui.services.purchasing", "dtc_tui.commands.inventory",
    "dtc_tui.services.team", "dtc_tui.services.team_hours", "dtc_tui.services.team_checks",
    "dtc_tui.services.team_ops", "dtc_tui.services.team_templates", "dtc_tui.services.team_view",
    "dtc_tui.services.ads", "dtc_tui.services.ads_metrics", "dtc_tui.services.ads_rules", "dtc_tui.commands.ads",
    "dtc_tui.services.importers.pipeline", "dtc_tui.services.importers.tickets", "dtc_tui.services.importers.shopify",
    "dtc_tui.services.importers.ads", "dtc_tui.services.importers.native", "dtc_tui.services.exporters",
    "dtc_tui.commands.transfer",
]


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
