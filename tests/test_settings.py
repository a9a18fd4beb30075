"""Domain thresholds: defaults from domain.md, overrides per database, audited, typed."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import db
from dtc_tui.cli import main_group
from dtc_tui.services.common import settings


def test_defaults_come_from_domain_md(engine: Engine) -> None:
    with db.read_session(engine) as session:
        assert settings.get(session, "sla.first_response_hours") == 12
        assert settings.get(session, "ads.pause_roas") == 2.0
        assert settings.get(session, "inventory.aged_days") == 180
        assert settings.get(session, "team.max_accountable") == 6


def test_set_list_reset_from_the_cli(database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main_group, ["--db", database_url, "db", "upgrade"]).exit_code == 0  # set does not create
    assert runner.invoke(main_group, ["--db", database_url, "settings", "set", "ads.target_roas", "3"]).exit_code == 0
    listed = json.loads(runner.invoke(main_group, ["--db", database_url, "settings", "list", "ads.", "--json"]).output)
    assert listed["ads.target_roas"] == {"value": 3, "source": "database"}
    assert listed["ads.pause_roas"]["source"] == "default"
    bad = runner.invoke(main_group, ["--db", database_url, "settings", "set", "ads.target_roas", "high"])
    assert bad.exit_code != 0 and "takes a number" in bad.output
    unknown = runner.invoke(main_group, ["--db", database_url, "settings", "set", "ads.colour", "1"])
    assert unknown.exit_code != 0 and "unknown setting" in unknown.output
    band = runner.invoke(main_group, ["--db", database_url, "settings", "set", "ads.budget_share_new", "[0.2]"])
    assert band.exit_code != 0 and "list of 2" in band.output
    assert runner.invoke(main_group, ["--db", database_url, "settings", "reset", "ads.target_roas"]).exit_code == 0
    audit = json.loads(
        runner.invoke(main_group, ["--db", database_url, "audit", "--entity", "setting", "--json"]).output
    )
    assert [a["action"] for a in audit] == ["reset", "update"]
    assert audit[1]["before"] == {"value": 2.5} and audit[1]["after"] == {"value": 3}


def test_a_setting_put_is_read_back_in_the_same_session(engine: Engine) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with db.write_session(engine) as session:
        assert settings.get(session, "inventory.aged_days") == 180  # read as plain rows, kept for the session
        settings.put(session, "inventory.aged_days", 150, actor="tester", now=now)
        assert settings.get(session, "inventory.aged_days") == 150  # the pending row, flushed first
    with db.read_session(engine) as session:
        assert settings.get(session, "inventory.aged_days") == 150
        settings.reset(session, "inventory.aged_days", actor="tester", now=now)
        assert settings.get(session, "inventory.aged_days") == 180


def test_a_list_setting_takes_any_number_of_values_and_a_range_takes_two(engine: Engine) -> None:
    """``inventory.stat_classes`` is empty by default: a length check against the default refused
    every value (["A"] too), so the statistical method could not be set for a class."""
    from datetime import UTC, datetime

    import pytest

    now = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with db.write_session(engine) as session:
        settings.put(session, "inventory.stat_classes", ["A"], actor="tester", now=now)
        settings.put(session, "team.escalation_categories", ["payment"], actor="tester", now=now)
        with pytest.raises(ValueError, match="list of text"):
            settings.put(session, "inventory.stat_classes", "A", actor="tester", now=now)
        with pytest.raises(ValueError, match="list of 2"):
            settings.put(session, "ads.budget_share_new", [0.2, 0.3, 0.4], actor="tester", now=now)
        with pytest.raises(ValueError, match="list of 2"):
            settings.put(session, "ads.budget_share_new", ["low", "high"], actor="tester", now=now)
        settings.put(session, "ads.budget_share_new", [0.2, 0.3], actor="tester", now=now)
    with db.read_session(engine) as session:
        assert settings.get(session, "inventory.stat_classes") == ["A"]
        assert settings.get(session, "team.escalation_categories") == ["payment"]
        assert settings.get(session, "ads.budget_share_new") == [0.2, 0.3]
