"""Ads: the spend-vs-ROAS report of a period, its days, a campaign's targets."""

from __future__ import annotations

from dtc_tui import db
from dtc_tui.services.ads import report as ads
from dtc_tui.services.ads.metrics import Period
from dtc_tui.services.ads.report import AdsReport, ReportRow, TargetsSaved
from dtc_tui.ui.facades.base import Facade


class AdsFacade(Facade):
    def report_with_days(self, period: Period, campaign_id: int | None) -> tuple[AdsReport, list[ReportRow] | None]:
        """The report and, in the same transaction, one campaign's days (None when it is gone or not asked)."""
        with db.read_session(self.engine) as session:
            report = ads.load_report(session, period, self.now())
            if campaign_id is None or report.campaign_row(campaign_id) is None:
                return report, None
            return report, ads.load_days(session, report, campaign_id=campaign_id)

    def days(self, report: AdsReport, *, channel: str | None = None, campaign_id: int | None = None) -> list[ReportRow]:
        """One row per day of the report's period, for a campaign, a channel or the whole account."""
        with db.read_session(self.engine) as session:
            return ads.load_days(session, report, channel=channel, campaign_id=campaign_id)

    def set_targets(
        self, campaign_id: int, *, expected_version: int, target_roas: float | None, target_cpa: float | None
    ) -> TargetsSaved:
        """Raises ``TargetError`` (or its ``StaleEdit``) with a one-line message."""
        return ads.set_targets(
            self.engine,
            campaign_id,
            expected_version=expected_version,
            target_roas=target_roas,
            target_cpa=target_cpa,
            actor=self.operator,
            now=self.now(),
        )
