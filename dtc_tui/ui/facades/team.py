"""Team: the RACI grid with its checks and routing, and the edits of cells, people, duties, rules."""

from __future__ import annotations

from dtc_tui import db
from dtc_tui.models.team import FUNCTIONS
from dtc_tui.services.team import ops
from dtc_tui.services.team import view as team_view
from dtc_tui.services.team.matrix import DutyInfo, PersonInfo
from dtc_tui.services.team.view import TeamView
from dtc_tui.ui.facades.base import Facade

__all__ = ["FUNCTIONS", "TeamFacade"]


class TeamFacade(Facade):
    def view(self, *, include_inactive: bool = False) -> TeamView:
        """Grid, checks and routing read in one transaction, as of ``view.at``."""
        now = self.now()
        with db.read_session(self.engine) as session:
            return team_view.load(session, now, include_inactive=include_inactive)

    # --- writes (each raises ops.TeamError, or its StaleEdit, with a one-line message) --------

    def set_role(self, *, duty_id: int, person_id: int, role: str | None, expected: str | None) -> str | None:
        return ops.set_role(
            self.engine,
            duty_id=duty_id,
            person_id=person_id,
            role=role,
            expected=expected,
            actor=self.operator,
            now=self.now(),
        )

    def add_person(self, form: ops.PersonForm) -> PersonInfo:
        return ops.add_person(self.engine, form, actor=self.operator, now=self.now())

    def update_person(self, person_id: int, form: ops.PersonForm, *, expected_version: int) -> PersonInfo:
        return ops.update_person(
            self.engine, person_id, form, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def add_duty(self, form: ops.DutyForm) -> DutyInfo:
        return ops.add_duty(self.engine, form, actor=self.operator, now=self.now())

    def update_duty(self, duty_id: int, form: ops.DutyForm, *, expected_version: int) -> DutyInfo:
        return ops.update_duty(
            self.engine, duty_id, form, expected_version=expected_version, actor=self.operator, now=self.now()
        )

    def set_rule(
        self,
        category: str,
        *,
        duty_id: int | None,
        backup_person_id: int | None,
        expected: tuple[int | None, int | None] | None,
    ) -> None:
        ops.set_rule(
            self.engine,
            category,
            duty_id=duty_id,
            backup_person_id=backup_person_id,
            expected=expected,
            actor=self.operator,
            now=self.now(),
        )
