"""Issue 15, currency: every amount in its own currency; totals across currencies converted to
the store currency at dated fx rates (and said so), or shown per currency with a warning,
never summed raw ("a GBP Meta account shows as dollars"; "USD + INR showed $56,700 spend")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from dtc_tui import clock as clock_module
from dtc_tui import db, i18n
from dtc_tui.cli import main_group
from dtc_tui.clock import FixedClock
from dtc_tui.config import Settings
from dtc_tui.models import AdChannel, AdStatDaily, Campaign, StoreDaily
from dtc_tui.services.common import fx, settings
from dtc_tui.services.common.money import format_money, short_money
from dtc_tui.services.importers.pipeline import run_import
from tests.conftest import FIXED_NOW, make_app, screen_text

DAYS = [date(2026, 11, 13) + timedelta(days=i) for i in range(7)]  # the "7d" period at FIXED_NOW


def seed(engine: Engine, campaigns: dict[str, tuple[str, float, float]], store: str | None = None) -> None:
    """campaigns: name -> (currency, spend a day, revenue a day); a till of 1,000 a day."""
    with db.write_session(engine) as session:
        channel = AdChannel(code="meta", name="Meta")
        session.add(channel)
        session.flush()
        for name, (currency, spend, revenue) in campaigns.items():
            campaign = Campaign(channel_id=channel.id or 0, name=name, currency=currency, daily_budget=100.0)
            session.add(campaign)
            session.flush()
            for day in DAYS:
                session.add(AdStatDaily(campaign_id=campaign.id or 0, day=day, spend=spend, revenue=revenue, clicks=10))
        if store:
            settings.put(session, "orders.store_currency", store, actor="tester", now=FIXED_NOW)
            for day in DAYS:
                session.add(StoreDaily(day=day, revenue=1000.0, orders=10))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, now: datetime) -> object:
    monkeypatch.setattr(clock_module, "utcnow", lambda: now)

    def run(url: str, *args: str) -> object:
        return CliRunner().invoke(main_group, ["--db", url, *args], catch_exceptions=False)

    return run


def import_rates(engine: Engine, tmp_path: Path, text: str) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate\n" + text, encoding="utf-8")
    summary = run_import(engine, "fx-rates", path, now=FIXED_NOW, actor="tester")
    assert summary.errors == [] and summary.written, summary.errors


# --- the service ---------------------------------------------------------------------------------


def test_rates_direct_inverse_through_a_third_currency_and_latest_before_the_day() -> None:
    rates = fx.Rates(
        [
            (date(2026, 11, 10), "USD", "INR", 80.0),
            (date(2026, 11, 15), "USD", "INR", 84.0),
            (date(2026, 11, 10), "EUR", "USD", 1.1),
        ]
    )
    assert rates.rate("USD", "INR", date(2026, 11, 14)) == (80.0, date(2026, 11, 10))  # latest before
    assert rates.rate("USD", "INR", date(2026, 11, 15)) == (84.0, date(2026, 11, 15))
    assert rates.rate("INR", "USD", date(2026, 11, 16)) == (pytest.approx(1 / 84), date(2026, 11, 15))
    assert rates.rate("EUR", "INR", date(2026, 11, 20))[0] == pytest.approx(1.1 * 84)  # via USD
    assert rates.rate("USD", "INR", date(2026, 11, 9)) is None  # no rate on or before the day
    done = fx.convert([(date(2026, 11, 14), "INR", 8000.0), (date(2026, 11, 14), "USD", 100.0)], "USD", rates)
    assert (done.complete, done.value(), done.text()) == (True, pytest.approx(200.0), "$200")
    assert done.note == "converted to USD at fx rates of 2026-11-10 (INR -> USD)"
    missing = fx.convert([(date(2026, 11, 9), "INR", 8000.0), (date(2026, 11, 14), "USD", 100.0)], "USD", rates)
    assert (missing.complete, missing.value(), missing.text()) == (False, None, "₹8,000 + $100")
    assert "no fx rate for INR->USD on or before 2026-11-09" in (missing.warning or "")


def test_fx_rates_import_checks_codes_and_rates(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate\n2026-11-01,usd,INR,83\n2026-11-01,USD,USD,1\n2026-11-01,USD,EUR,0\n")
    summary = run_import(engine, "fx-rates", path, now=FIXED_NOW, actor="tester", display_name="rates.csv")
    assert [str(e) for e in summary.errors] == [
        "rates.csv:2: base: 'usd' is not a currency code (ISO 4217 in capitals, e.g. USD, GBP)",
        "rates.csv:3: quote: the same currency as base",
        "rates.csv:4: rate: 0.0: a rate must be above 0 (1 base = rate quote)",
    ]


# --- one foreign currency: its own symbol --------------------------------------------------------


def test_a_gbp_account_shows_pounds_not_dollars_in_the_cli(engine: Engine, database_url: str, cli) -> None:
    seed(engine, {"Dresses": ("GBP", 100.0, 250.0), "Shoes": ("GBP", 50.0, 100.0)})
    result = cli(database_url, "ads", "report", "--period", "7d")
    assert result.exit_code == 0, result.output
    assert "$" not in result.output
    assert "Ad spend £1,050" in result.output
    meta = next(line for line in result.output.splitlines() if line.startswith("Meta"))
    assert "£1,050" in meta and "£2,450" in meta
    data = json.loads(cli(database_url, "ads", "report", "--period", "7d", "--json").output)
    assert data["currency"] == "GBP" and data["blended"]["currency"] == "GBP"
    assert data["rows"][0]["currency"] == "GBP" and data["rows"][0]["spend"] == 1050.0


@pytest.fixture
def gbp_engine(tmp_path: Path) -> Iterator[Engine]:
    from dtc_tui.services.tickets.sla_defaults import ensure_defaults

    engine = db.make_engine(f"sqlite:///{tmp_path / 'gbp.db'}")
    db.upgrade(engine)
    with db.write_session(engine) as session:
        ensure_defaults(session)
    seed(engine, {"Dresses": ("GBP", 100.0, 250.0), "Shoes": ("GBP", 50.0, 100.0)})
    yield engine
    engine.dispose()


async def test_a_gbp_account_shows_pounds_in_the_ads_screen(
    gbp_engine: Engine, clock: FixedClock, settings: Settings
) -> None:
    app = make_app(gbp_engine, clock, settings, start_area="ads")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        summary = str(app.screen.query_one("#ads-summary").render())
        assert "Spend £" in summary and "$" not in summary
        text = screen_text(app)
        assert "£" in text and "$" not in text


def test_compact_amounts_carry_their_symbol() -> None:
    assert short_money(46_206, "GBP") == "£46,206"
    assert short_money(138_000, "INR") == "₹138k"
    assert short_money(15_300_000, "USD") == "$15.3M"
    assert short_money(1200, None) == "mixed"


def test_symbols_stay_as_the_exports_write_them_in_chinese() -> None:
    """Chinese CLDR writes ``US$``, which cut amounts at 80 columns; the symbols stay the
    English exports' in every language, and only the word for several currencies is translated."""
    with i18n.speaking("zh-CN"):
        assert format_money(1234.6, "USD") == "$1,235"
        assert short_money(15_300_000, "USD") == "$15.3M"
        assert short_money(1200, None) == "混合"
    assert short_money(1200, None) == "mixed"


# --- USD and INR: converted with rates, per currency without -------------------------------------

PAIR = {"US search": ("USD", 1000.0, 2600.0), "India broad": ("INR", 83_000.0, 166_000.0)}


def test_usd_and_inr_without_rates_are_shown_per_currency_with_a_warning(
    engine: Engine, database_url: str, cli
) -> None:
    seed(engine, PAIR, store="USD")
    result = cli(database_url, "ads", "report", "--period", "7d")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Ad spend ₹581,000 + $7,000" in out  # never "$588,000"
    assert "warning: no fx rate for INR->USD on or before 2026-11-13 (7 days)" in out
    assert "Blended ROAS (= MER) and ad spend share: unknown (ad spend not all in USD)" in out
    meta = next(line for line in out.splitlines() if line.startswith("Meta"))
    assert "₹581,000 + $7,000" in meta
    data = json.loads(cli(database_url, "ads", "report", "--period", "7d", "--json").output)
    total = data["total"]
    assert total["currency"] is None and total["spend"] is None and total["roas"] is None
    assert total["by_currency"] == {
        "INR": {"spend": 581000.0, "revenue": 1162000.0},
        "USD": {"spend": 7000.0, "revenue": 18200.0},
    }
    assert data["fx"]["complete"] is False and "no fx rate" in data["fx"]["warning"]
    assert data["blended"]["ad_spend"] is None and data["blended"]["blended_roas_store_revenue_over_ad_spend"] is None
    campaigns = json.loads(cli(database_url, "ads", "report", "--period", "7d", "--by", "campaign", "--json").output)
    by_name = {row["label"]: row for row in campaigns["rows"]}
    assert by_name["India broad"]["currency"] == "INR" and by_name["India broad"]["roas"] == 2.0
    check = json.loads(cli(database_url, "ads", "check", "--period", "7d", "--json").output)
    assert check["currency"] == "USD" and "no fx rate" in check["fx_warning"]


def test_usd_and_inr_with_dated_rates_convert_to_the_store_currency_and_say_so(
    engine: Engine, database_url: str, cli, tmp_path: Path
) -> None:
    seed(engine, PAIR, store="USD")
    import_rates(engine, tmp_path, "2026-11-01,USD,INR,83\n2026-11-16,USD,INR,83\n")
    result = cli(database_url, "ads", "report", "--period", "7d")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Ad spend $14,000" in out  # 7 x (1,000 + 83,000 / 83)
    assert "note: converted to USD at fx rates of 2026-11-01..2026-11-16 (INR -> USD)" in out
    assert "Attributed ROAS (platform revenue / ad spend) 2.30" in out  # (18,200 + 14,000) / 14,000
    assert "Blended ROAS (store revenue / ad spend, = MER) 0.50" in out  # 7,000 / 14,000
    data = json.loads(cli(database_url, "ads", "report", "--period", "7d", "--json").output)
    assert data["total"]["currency"] == "USD" and data["total"]["spend"] == 14000.0
    assert data["fx"]["converted"] is True and data["fx"]["warning"] is None
    assert data["blended"]["ad_spend"] == 14000.0 and data["blended"]["currency"] == "USD"
    days = json.loads(cli(database_url, "ads", "report", "--period", "7d", "--by", "day", "--json").output)
    assert {row["currency"] for row in days["rows"]} == {"USD"}
    assert days["rows"][0]["spend"] == 2000.0


# --- orders: revenue and refunds of orders in another currency -----------------------------------


def test_orders_in_another_currency_enter_the_till_at_their_days_rate(engine: Engine, tmp_path: Path) -> None:
    from sqlalchemy import select

    from tests.conftest import FIXTURES

    gbp, bdt = FIXTURES / "shopify_orders_gbp.csv", FIXTURES / "shopify_orders_bdt_cod.csv"
    assert run_import(engine, "shopify-orders", gbp, now=FIXED_NOW, actor="tester").written
    import_rates(engine, tmp_path, "2000-01-01,GBP,BDT,150\n")
    summary = run_import(engine, "shopify-orders", bdt, now=FIXED_NOW, actor="tester")
    assert not any("left out of revenue" in w for w in summary.warnings + summary.notes)
    assert any("converted to GBP at fx rates of 2000-01-01" in n for n in summary.notes + summary.warnings)
    from dtc_tui.models import StoreOrder

    with db.read_session(engine) as session:
        bdt_orders = session.execute(
            select(StoreOrder.created_day, StoreOrder.total, StoreOrder.refunded).where(StoreOrder.currency == "BDT")
        ).all()
        gbp_days = set(session.execute(select(StoreOrder.created_day).where(StoreOrder.currency == "GBP")).scalars())
        till = dict(session.execute(select(StoreDaily.day, StoreDaily.revenue)).all())
    bdt_only = {day for day, *_ in bdt_orders} - gbp_days
    assert bdt_only
    day = sorted(bdt_only)[0]
    expected = sum(total - refunded for d, total, refunded in bdt_orders if d == day) / 150
    assert till[day] == pytest.approx(expected, abs=0.02)
