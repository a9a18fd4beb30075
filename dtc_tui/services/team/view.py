"""Everything the Team screen shows, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from dtc_tui.services.team import checks as team_checks
from dtc_tui.services.team import matrix as team
from dtc_tui.services.team.checks import Check
from dtc_tui.services.team.matrix import Matrix, RouteRow


@dataclass
class TeamView:
    matrix: Matrix  # what the grid shows (inactive rows too when asked)
    checks: list[Check]  # always judged on active people and duties only
    routes: list[RouteRow]
    at: datetime


def load(session: Session, now: datetime, *, include_inactive: bool = False) -> TeamView:
    shown = team.matrix(session, include_inactive=include_inactive)
    return TeamView(shown, team_checks.run(session, now), team.routing_table(session, now), now)
