"""``dtc-tui ads report`` and ``dtc-tui ads check`` on the hand-made account (fixed clock)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import clock as clock_module
from dtc_tui.cli import main_group
from tests.test_ads_service import seed_ads


@pytest.fixture
def account_url(engine: Engine, database_url: str, now: datetime, monkeypatch: pytest.MonkeyPatch) -> str:
    seed_ads(engine)
    monkeypatch.setattr(clock_module, "utcnow", lambda: now)  # the CLI's SystemClock reads this
    return database_url


def run(url: str, *args: str) -> object:
    return CliRunner().invoke(main_group, ["--db", url, "ads", *args], catch_exceptions=False)


def test_report_by_channel_text_labels_every_ratio(account_url: str) -> None:
    result = run(account_url, "report", "--period", "7d")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Last 7 days (Nov 13 - Nov 19 2026)" in out
    assert "Blended ROAS (store revenue / ad spend, = MER) 5.00" in out
    assert "Ad spend share of store revenue 20.0% (steady target 10-15%)" in out
    assert "Attributed ROAS (platform revenue / ad spend) 2.48" in out
    assert "move $40/day from meta / Loser (ROAS 1.40) to google / Winner (ROAS 3.20)" in out
    google = next(line for line in out.splitlines() if line.startswith("Google Ads"))
    assert "$770" in google and "3.23" in google


def test_report_by_campaign_json(account_url: str) -> None:
    result = run(account_url, "report", "--period", "7d", "--by", "campaign", "--json")
    data = json.loads(result.output)
    rows = {row["label"]: row for row in data["rows"]}
    assert rows["Winner"]["roas"] == 3.2
    assert rows["Winner"]["cpc"] == 1.25
    assert rows["Winner"]["previous"]["roas"] == 2.5
    assert rows["Idle"]["roas"] is None and rows["Idle"]["cpa"] is None
    assert rows["Hero promo"]["break_even_roas"] == 4.0
    assert rows["Hero promo"]["promoted_sku"]["on_hand"] == 12
    assert data["blended"]["blended_roas_store_revenue_over_ad_spend"] == 5.0
    assert [m["amount_per_day"] for m in data["budget_moves"]] == [40.0, 10.0]


def test_report_by_day_csv_has_empty_cells_for_undefined_ratios(account_url: str) -> None:
    result = run(account_url, "report", "--period", "7d", "--by", "day", "--channel", "google", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["day"] for row in rows][:2] == ["2026-11-13", "2026-11-14"]
    assert len(rows) == 7
    assert float(rows[0]["spend"]) == 110.0  # Winner 100 + Hero promo 10
    assert rows[0]["roas"] == str(round(355 / 110, 4))


def test_report_sort_and_alert_filter(account_url: str) -> None:
    result = run(account_url, "report", "--period", "7d", "--by", "campaign", "--sort", "roas", "--json")
    labels = [row["label"] for row in json.loads(result.output)["rows"]]
    assert labels == ["Loser", "Six days", "Winner", "Hero promo", "Idle"]
    alerts = run(account_url, "report", "--period", "7d", "--by", "campaign", "--only-alerts", "--json")
    assert {row["label"] for row in json.loads(alerts.output)["rows"]} == {"Loser", "Six days"}


def test_custom_period(account_url: str) -> None:
    result = run(account_url, "report", "--from", "2026-11-06", "--to", "2026-11-12", "--json")
    data = json.loads(result.output)
    assert data["period"] == {"start": "2026-11-06", "end": "2026-11-12", "days": 7}
    assert data["total"]["roas"] == 2.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "--by", "channel", "--channel", "bing"), "unknown channel 'bing'"),
        (("report", "--from", "2026-11-01"), "give both --from and --to"),
        (("report", "--from", "2026-11-09", "--to", "2026-11-01"), "ends (2026-11-01) before it starts"),
        (("report", "--sort", "vibes"), "unknown sort column"),
        (("report", "--json", "--csv"), "choose one of --json and --csv"),
    ],
)
def test_user_errors_are_one_line(account_url: str, args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(main_group, ["--db", account_url, "ads", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_check_prints_alerts_and_exits_one(account_url: str) -> None:
    result = CliRunner().invoke(main_group, ["--db", account_url, "ads", "check"])
    assert result.exit_code == 1
    assert "3 ad alerts" in result.output
    assert "[pause] meta / Loser: ROAS below 2.00 for 7 days in a row" in result.output
    assert "[cpa] meta / Six days: CPA $25.00 is 150% over its target $10.00" in result.output
    as_json = CliRunner().invoke(main_group, ["--db", account_url, "ads", "check", "--json"])
    assert as_json.exit_code == 1
    assert {a["kind"] for a in json.loads(as_json.output)["alerts"]} == {"pause", "cpa", "spend_share"}


def test_check_exits_zero_without_alerts(account_url: str) -> None:
    # The week before: only Winner spent, at ROAS 2.5, CPA 25 against 20 * 1.2 = 24 -> one CPA alert.
    before = CliRunner().invoke(
        main_group, ["--db", account_url, "ads", "check", "--from", "2026-11-06", "--to", "2026-11-12"]
    )
    assert before.exit_code == 1 and "[cpa] google / Winner" in before.output
    quiet = CliRunner().invoke(
        main_group, ["--db", account_url, "ads", "check", "--from", "2026-10-01", "--to", "2026-10-07"]
    )
    assert quiet.exit_code == 0, quiet.output
    assert "no ad alerts" in quiet.output
