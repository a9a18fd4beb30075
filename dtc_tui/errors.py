"""The errors an operator can cause and fix: one base, caught in one place per front end.

A ``UserError`` carries a message written for the operator (what is wrong and what to type
instead). The CLI prints it as one line on stderr and exits 2 (``dtc_tui.cli``); the app shows it
as a notification (``DtcApp.user_errors``). Anything else is a bug and keeps its traceback.

Area modules derive their own bases from ``UserError`` (``TicketError``, ``TeamError``...) and
may subclass ``StaleEdit``/``NotFound``/``Conflict`` under their base as well, so both
``except TicketError`` and ``except StaleEdit`` catch a ticket's stale edit.
"""

from __future__ import annotations

from dtc_tui.i18n import N_


class UserError(Exception):
    """Something the operator asked for that cannot be done as asked; the message says why."""

    title = N_("Not done")  # translated where shown


class StaleEdit(UserError):
    """Someone else changed the record since the operator loaded it: reload and try again."""

    title = N_("Changed by someone else")  # translated where shown


class NotFound(UserError):
    """The record the operator named does not exist (any more)."""

    title = N_("Not found")  # translated where shown


class Conflict(UserError):
    """The change clashes with someone else's (a claim, a duplicate name...)."""

    title = N_("Conflict")  # translated where shown


class InvalidInput(UserError, ValueError):
    """Text the operator typed (a filter, a period, a number) that does not parse.

    Also a ``ValueError``, so code that validated with ``except ValueError`` keeps working.
    """

    title = N_("Not understood")  # translated where shown
