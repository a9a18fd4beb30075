"""Everything the Team screen shows, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from dtc_tui.services import team, team_checks
from dtc_tui.services.team import Matrix, RouteRow
from dtc_tui.services.team_checks import Check


@dataclass
class TeamView:
    matrix: Matrix  # what the grid shows (inactive rows too when asked)
    checks: list[Check]  # always judged on active people and duties only
    routes: list[RouteRow]
    at: datetime


def load(session: Session, now: datetime, *, include_inactive: bool = False) -> TeamView:
    shown = team.matrix(session, include_inactive=include_inactive)
    return TeamView(shown, team_checks.run(session, now), team.routing_table(session, now), now)
