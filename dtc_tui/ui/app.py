"""The Textual app: one mode per area, keys 1-4, ``?`` for keys, ``q`` to quit.

The app owns the engine, the clock and the operator's name, and builds the facades from them
once (``self.facades.tickets``...): screens reach the database only through those, and reach
the app through ``self.dtc``. A one-second tick redraws live widgets (SLA timers), and a cheap change check
(``change_counter`` rows) reloads the visible screen when another operator changed its area.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy import Engine
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import Monochrome

from dtc_tui import db
from dtc_tui.clock import Clock, SystemClock
from dtc_tui.config import Settings
from dtc_tui.errors import UserError
from dtc_tui.i18n import _
from dtc_tui.services.overview.targets import Target
from dtc_tui.ui import states
from dtc_tui.ui.commands import AreaCommands
from dtc_tui.ui.cursor_colours import ReadableMonochrome, cursor_variables
from dtc_tui.ui.facades import Facades
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.help import HelpScreen, format_key

BREACH_RECORD_SECONDS = 30.0
CHECKPOINT_SECONDS = 60.0


def _screen_factory(module: str, name: str) -> Callable[[], Any]:
    def build() -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)()

    return build


class DtcApp(App[None]):
    TITLE = "dtc-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar = {AreaCommands}
    AREA_TITLES: ClassVar[dict[str, str]] = {
        "overview": "Overview",
        "tickets": "Tickets",
        "inventory": "Inventory",
        "ads": "Ads",
        "team": "Team",
        "audit": "Audit log",
    }
    AREA_TABS: ClassVar[list[tuple[str, str, str]]] = [
        ("0", "overview", "Overview"),
        ("1", "tickets", "Tickets"),
        ("2", "inventory", "Stock"),
        ("3", "ads", "Ads"),
        ("4", "team", "Team"),
        ("5", "audit", "Audit"),
    ]
    MODES: ClassVar = {
        "overview": _screen_factory("dtc_tui.ui.screens.overview.screen", "OverviewScreen"),
        "tickets": _screen_factory("dtc_tui.ui.screens.tickets.queue", "TicketsScreen"),
        "inventory": _screen_factory("dtc_tui.ui.screens.inventory.board", "InventoryScreen"),
        "ads": _screen_factory("dtc_tui.ui.screens.ads.report", "AdsScreen"),
        "team": _screen_factory("dtc_tui.ui.screens.team.matrix", "TeamScreen"),
        "audit": _screen_factory("dtc_tui.ui.screens.audit.log", "AuditScreen"),
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        # The area keys are shown as tabs in each screen's title bar, not in the footer.
        Binding("0", "switch_area('overview')", "Overview", show=False, id="app.overview"),
        Binding("1", "switch_area('tickets')", "Tickets", show=False, id="app.tickets"),
        Binding("2", "switch_area('inventory')", "Stock", show=False, id="app.inventory"),
        Binding("3", "switch_area('ads')", "Ads", show=False, id="app.ads"),
        Binding("4", "switch_area('team')", "Team", show=False, id="app.team"),
        Binding("5", "switch_area('audit')", "Audit", show=False, id="app.audit"),
        Binding("question_mark,f1", "help", "Keys", show=False, id="app.help"),
        # q quits from an area's own screen; in a sub-view (ticket, KPIs, POs, orders...) it goes back,
        # like Esc. check_action hides the one that does not apply, so the key reaches the other.
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("q", "back", "Back", show=False, id="app.back"),
    ]

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings | None = None,
        clock: Clock | None = None,
        demo: bool = False,
        database_label: str = "",
        start_area: str = "overview",
    ) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.demo = demo
        self.database_label = _short_label(database_label or engine.url.render_as_string(hide_password=True))
        self.start_area = start_area
        self.facades = Facades(engine, self.settings.operator, self.clock)
        self._counters: dict[str, int] = {}
        self.undo_stack: list[Any] = []  # ticket changes this operator can undo, newest last
        from dtc_tui.ui.facades.mail import MailFacade

        self.mail = MailFacade(engine, self.settings.operator, self.clock, mail=self.settings.mail)
        self._mail_busy: set[str] = set()
        self._mail_errors: dict[str, str] = {}
        self._background_busy: set[str] = set()
        self._file_identity = db.file_identity(engine)  # watched on every sync poll
        # Glyphs beside colours (ui/states.py); Textual has taken NO_COLOR out of the environment by now.
        states.configure(ascii=states.wants_ascii(self.settings.glyphs), no_color=self.no_color)
        if self.no_color:  # greys that keep 4.5:1 instead of Textual's plain Monochrome (no public hook)
            self._filters = [ReadableMonochrome() if isinstance(f, Monochrome) else f for f in self._filters]

        from dtc_tui.ui.facades.presence import PresenceKeeper

        self.presence = PresenceKeeper(
            lambda: self.facades.presence, lambda name, work: self.background_write(name, work)
        )

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables plus the cursor colours that meet 4.5:1 on it (ui/cursor_colours.py)."""
        variables = super().get_css_variables()
        variables.update(cursor_variables(variables))
        self.theme_variables = variables
        return variables

    @property
    def operator(self) -> str:
        return self.settings.operator

    def on_mount(self) -> None:
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self._counters = self._read_counters()
        self.switch_mode(self.start_area)
        from dtc_tui import startup

        self.call_after_refresh(startup.app_ready)
        self.set_interval(self.settings.tick_seconds, self.tick, name="tick")
        self.set_interval(self.settings.sync_seconds, self.check_for_changes, name="sync")
        # Breaches are recorded when they happen even if nobody runs `dtc-tui sla check` from cron.
        self.set_interval(BREACH_RECORD_SECONDS, self.record_breaches, name="breaches")
        self.set_interval(CHECKPOINT_SECONDS, self.checkpoint_wal, name="checkpoint")
        self.start_mail()
        if not self.demo and self.facades.app.is_empty():
            self.notify(
                "This database is empty. Import data with 'dtc-tui import KIND FILE', "
                "or try the demo with 'dtc-tui --demo'.",
                title="No data yet",
                timeout=15,
            )

    def on_unmount(self) -> None:
        self.presence.close()  # our "viewing" rows go with us, after any heartbeat still running

    # --- navigation ---------------------------------------------------------------------------

    def action_switch_area(self, area: str) -> None:
        if area in self.MODES and self.current_mode != area:
            self.switch_mode(area)

    def open_target(self, area: str, target: Target) -> None:
        """Show a record on its own screen (from the overview): switch area, then let it focus."""
        if area not in self.MODES:
            return
        self.switch_mode(area)
        show = getattr(self.screen, "show_target", None)
        if show is not None and target:
            self.call_after_refresh(show, target)

    def in_sub_view(self) -> bool:
        """A screen pushed over the area's own screen. Modals (the palette, pickers) do not count: they
        keep their own keys, and the palette must see the Quit of the screen it was opened on."""
        return sum(1 for screen in self.screen_stack if not screen.is_modal) > 1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit":
            return not self.in_sub_view()
        if action == "back":
            return self.in_sub_view()
        return True

    async def action_back(self) -> None:
        """Leave the sub-view the way its own back key does (it may ask first), else just pop it."""
        screen = self.screen
        for name in ("back", "close"):
            if hasattr(screen, f"action_{name}"):
                await self.run_action(name, screen)
                return
        self.pop_screen()

    def action_help(self) -> None:
        grouped: dict[tuple[str, str], list[str]] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.description:
                grouped.setdefault((binding.action, binding.description), []).append(format_key(key))
        rows = [(", ".join(sorted(keys, key=len)), _(description)) for (_a, description), keys in grouped.items()]
        rows.extend(getattr(self.screen, "HELP_EXTRA", []))
        rows.append(states.legend_row())
        self.push_screen(HelpScreen(getattr(self.screen, "AREA_TITLE", "dtc-tui"), rows))

    # --- live updates -------------------------------------------------------------------------

    def tick(self) -> None:
        on_tick = getattr(self.screen, "on_tick", None)
        if on_tick is not None:
            on_tick()

    @work(thread=True, exclusive=True, exit_on_error=False, group="breaches")
    def record_breaches(self) -> int:
        return self.facades.app.record_breaches()

    @work(thread=True, exclusive=True, exit_on_error=False, group="checkpoint")
    def checkpoint_wal(self) -> None:
        """Keep the WAL short on a shared box (PASSIVE never waits for other sessions)."""
        self.facades.app.checkpoint()

    # --- mail: sending and fetching run in threads, so a dead server costs a key press nothing ------

    def start_mail(self) -> None:
        if self.mail.error:
            self.notify(self.mail.error, title="Mail is off", severity="warning", timeout=15, markup=False)
            return
        if self.mail.sending_enabled:
            self.set_interval(self.mail.settings.send_seconds, self.send_mail, name="mail-send")
        if self.mail.inbound_enabled:
            self.set_interval(self.mail.settings.poll_seconds, self.fetch_mail, name="mail-fetch")
            self.call_after_refresh(self.fetch_mail)

    def send_mail(self) -> None:
        """Send the due replies now (also right after a reply), unless a send is already running."""
        if self.mail.sending_enabled:
            self._mail_job("send", self.mail.send_due)

    def fetch_mail(self) -> None:
        self._mail_job("fetch", self.mail.fetch)

    def _mail_job(self, name: str, job: Callable[[], Any]) -> None:
        if name in self._mail_busy:
            return
        self._mail_busy.add(name)

        def run() -> None:
            from dtc_tui.ui.facades.mail import MailConfigError, MailServerError

            try:
                job()
                self._mail_errors.pop(name, None)
            except (MailConfigError, MailServerError, OSError) as exc:
                # Said once per new problem, not at every poll while the server stays down.
                if self._mail_errors.get(name) != str(exc):
                    self._mail_errors[name] = str(exc)
                    self.call_from_thread(self.notify_safe, str(exc), title=f"Mail {name}", severity="warning")
            finally:
                self._mail_busy.discard(name)

        self.run_worker(run, thread=True, exit_on_error=False, group=f"mail-{name}", name=f"mail-{name}")

    def _read_counters(self) -> dict[str, int]:
        return self.facades.app.change_counters()

    def check_for_changes(self) -> None:
        """Reload the visible screen when its area changed in the database (another operator)."""
        if not self._database_file_is_ours():
            self._show_banner()
            return
        current = self._read_counters()
        changed = {area for area, value in current.items() if self._counters.get(area) != value}
        self._counters = current
        if not changed:
            return
        area = getattr(self.screen, "AREA", "")
        if area in changed or area == "overview" or not area:
            reload = getattr(self.screen, "reload_data", None)
            if reload is not None:
                reload()

    def _database_file_is_ours(self) -> bool:
        """The SQLite file at our path is still the one we opened (same device and inode).

        Deleted or replaced (a restore by hand, a cleanup script): our connections would go on
        writing into a file nobody else sees, so writes are blocked and a banner says so.
        """
        if self._file_identity is None:
            return True
        if getattr(self.engine, "_dtc_blocked", None):
            return False
        now = db.file_identity(self.engine)
        if now == self._file_identity:
            return True
        what = "deleted" if now is None else "replaced by another file"
        reason = (
            f"the database file {self.database_label} was {what} while the app ran; "
            "nothing more is saved: quit and start again"
        )
        db.block_writes(self.engine, reason)
        self.notify_safe(reason, title="Database gone: writes blocked", severity="error", timeout=10**9)
        return False

    def _show_banner(self) -> None:
        """The blocked-writes banner on the visible screen (a screen shown later gets it at the next poll)."""
        reason = getattr(self.engine, "_dtc_blocked", None)
        if not reason or self.screen.query("#db-banner"):
            return
        from dtc_tui.ui.widgets.banner import DatabaseBanner

        self.screen.mount(DatabaseBanner(reason))

    def mark_seen(self) -> None:
        """After our own write: take the new counters so we do not reload for our own change."""
        self._counters = self._read_counters()

    # --- database trouble: no traceback reaches the operator ----------------------------------

    def database_trouble(self, exc: BaseException, *, kept: str = "") -> bool:
        """A database error during an operator's action becomes a notification naming the cause.

        Returns False (the caller re-raises) when ``exc`` is not a database error. ``kept`` says
        what of the operator's input is kept for the next try.
        """
        message = db.describe_failure(exc)
        if message is None:
            return False
        if db.is_busy(exc):
            message = self.facades.app.busy_message()  # names the holder: "an import by ana is running"
        self.notify_safe(f"{message}. {kept}".strip(), title="Not saved", severity="error")
        return True

    def with_retry(self, work: Callable[[], Any], attempts: int = 2) -> Any:
        """Run a write; when the database stays busy past its busy timeout, try once more, then raise."""
        for attempt in range(attempts):
            try:
                return work()
            except Exception as exc:
                if attempt + 1 == attempts or not db.is_busy(exc):
                    raise
        return None

    async def _dispatch_action(self, namespace: Any, action_name: str, params: Any) -> bool:
        """Every key action: a ``UserError`` (dtc_tui.errors) or a database error is a notification,
        never a crash (one place for all screens)."""
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except UserError as exc:
            self.report_user_error(exc)
            return True
        except Exception as exc:
            if self.database_trouble(exc):
                return True
            raise

    def background_write(self, name: str, work: Callable[[], Any]) -> None:
        """A periodic or incidental write (presence) off the UI thread; while the previous one of the
        same name still waits for a busy database, this beat is skipped; database errors are dropped."""
        if name in self._background_busy:
            return
        self._background_busy.add(name)

        def run() -> None:
            try:
                work()
            except Exception as exc:
                if db.describe_failure(exc) is None:
                    raise
            finally:
                self._background_busy.discard(name)

        self.run_worker(run, thread=True, group=f"background-{name}", exit_on_error=False)

    # --- user errors: the one place they become notifications -----------------------------------

    @contextmanager
    def user_errors(self, title: str = "") -> Iterator[None]:
        """``with self.app.user_errors(): ...`` in a message handler or modal callback (key actions
        are covered by ``_dispatch_action``): a ``UserError`` becomes a notification, never a
        traceback; the rest of the block is skipped, so the form or filter box keeps what was typed."""
        try:
            yield
        except UserError as exc:
            self.report_user_error(exc, title=title)

    def report_user_error(self, exc: UserError, *, title: str = "") -> None:
        self.notify_safe(str(exc), title=title or exc.title, severity="warning")

    def notify_safe(
        self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None
    ) -> None:
        """Notifications carry untrusted text (subjects, names): never parsed as markup."""
        self.notify(safe(message).plain, title=title, severity=severity, markup=False, timeout=timeout)  # type: ignore[arg-type]


def _short_label(url: str) -> str:
    if url.startswith("sqlite:///"):
        from pathlib import Path

        return Path(url.removeprefix("sqlite:///")).name
    return url.split("@")[-1]
