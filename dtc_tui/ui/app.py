"""The Textual app: one mode per area, keys 1-4, ``?`` for keys, ``q`` to quit.

The app owns the engine, the clock and the operator's name, and builds the facades from them
once (``self.facades.tickets``...): screens reach the database only through those, and reach
the app through ``self.dtc``. A one-second tick redraws live widgets (SLA timers), and a cheap change check
(``change_counter`` rows) reloads the visible screen when another operator changed its area.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Engine
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import Monochrome

from dtc_tui import db, i18n
from dtc_tui.clock import Clock, SystemClock
from dtc_tui.config import Settings
from dtc_tui.errors import UserError
from dtc_tui.i18n import N_, _
from dtc_tui.services.overview.targets import Target
from dtc_tui.ui import states
from dtc_tui.ui.commands import AreaCommands
from dtc_tui.ui.cursor_colours import ReadableMonochrome, cursor_variables
from dtc_tui.ui.facades import Facades
from dtc_tui.ui.safe import safe
from dtc_tui.ui.screens.help import HelpScreen, format_key
from dtc_tui.ui.threads import in_daemon_thread

_T = TypeVar("_T")

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
        "overview": N_("Overview"),
        "tickets": N_("Tickets"),
        "inventory": N_("Inventory"),
        "ads": N_("Ads"),
        "team": N_("Team"),
        "audit": N_("Audit log"),
    }
    AREA_TABS: ClassVar[list[tuple[str, str, str]]] = [
        ("0", "overview", N_("Overview")),
        ("1", "tickets", N_("Tickets")),
        ("2", "inventory", N_("Stock")),
        ("3", "ads", N_("Ads")),
        ("4", "team", N_("Team")),
        ("5", "audit", N_("Audit")),
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
        Binding("0", "switch_area('overview')", N_("Overview"), show=False, id="app.overview"),
        Binding("1", "switch_area('tickets')", N_("Tickets"), show=False, id="app.tickets"),
        Binding("2", "switch_area('inventory')", N_("Stock"), show=False, id="app.inventory"),
        Binding("3", "switch_area('ads')", N_("Ads"), show=False, id="app.ads"),
        Binding("4", "switch_area('team')", N_("Team"), show=False, id="app.team"),
        Binding("5", "switch_area('audit')", N_("Audit"), show=False, id="app.audit"),
        Binding("question_mark,f1", "help", N_("Keys"), show=False, id="app.help"),
        # q quits from an area's own screen; in a sub-view (ticket, KPIs, POs, orders...) it goes back,
        # like Esc. check_action hides the one that does not apply, so the key reaches the other.
        Binding("q", "quit", N_("Quit"), id="app.quit"),
        Binding("q", "back", N_("Back"), show=False, id="app.back"),
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
        # Set when the operator picked another language in the palette: the command line starts the
        # app again speaking it (cli.py), since screens, bindings and help texts were built in this one.
        self.relaunch_language: str | None = None
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
                _(
                    "This database is empty. Import data with 'dtc-tui import KIND FILE', "
                    "or try the demo with 'dtc-tui --demo'."
                ),
                title=_("No data yet"),
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

    def action_command_palette(self) -> None:
        """Textual's palette with its placeholder in the operator's language (its public parameter)."""
        from textual.command import CommandPalette

        if self.use_command_palette and self.screen.id != "--command-palette":  # as CommandPalette.is_open
            self.push_screen(CommandPalette(id="--command-palette", placeholder=_("Search for commands…")))

    def action_help(self) -> None:
        grouped: dict[tuple[str, str], list[str]] = {}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.description:
                grouped.setdefault((binding.action, binding.description), []).append(format_key(key))
        rows = [(", ".join(sorted(keys, key=len)), _(description)) for (_a, description), keys in grouped.items()]
        rows.extend(getattr(self.screen, "help_extra", None) or getattr(self.screen, "HELP_EXTRA", []))
        rows.append(states.legend_row())
        rows = [(_(key), _(text)) for key, text in rows]  # HELP_EXTRA rows are marked N_ where declared
        self.push_screen(HelpScreen(_(getattr(self.screen, "AREA_TITLE", "dtc-tui")), rows))

    # --- language: chosen in the palette, saved, applied by starting again ---------------------

    def choose_language(self) -> None:
        from dtc_tui.ui.widgets.modals import ChoiceModal

        options = list(i18n.NAMES.items())

        def chosen(language: str | None) -> None:
            if language is not None:
                self.switch_language(language)

        self.push_screen(ChoiceModal(_("Language"), options, current=i18n.current()), chosen)

    def switch_language(self, language: str) -> bool:
        """Save ``language`` as the ``language`` setting and end the app so that it starts again in
        it. Typed reply drafts are stored first; if one cannot be (database busy), nothing changes."""
        if language == i18n.current():
            self.notify(_("The app already speaks {language}.").format(language=i18n.NAMES[language]))
            return False
        try:
            stored = self.flush_drafts()
        except Exception as exc:
            if self.database_trouble(exc, kept=_("The language is not changed; your drafts are kept.")):
                return False
            raise
        if not stored:
            self.notify_safe(
                _("Language not changed: a reply draft could not be saved yet (database busy). Try again."),
                title=_("Not saved"),
                severity="warning",
            )
            return False
        from dtc_tui.config import ConfigError, save_setting

        try:
            save_setting("language", language)
        except (ConfigError, OSError) as exc:
            self.notify_safe(str(exc), title=_("Language not saved"), severity="error")
            return False
        self.relaunch_language = language
        self.exit()
        return True

    def flush_drafts(self) -> bool:
        """Store every reply draft now, the text of an open reply editor included (the autosave may
        not have run since the last key); False when the database refused one."""
        from dtc_tui.ui.screens.tickets import reply

        saver = reply.draft_saver(self)
        for screen in self.screen_stack:
            if isinstance(screen, reply.ReplyScreen) and not screen.finished and screen.context is not None:
                state = screen.current_state()
                if state.text.strip() or state.macro_id is not None or screen.saved_state is not None:
                    saver.pending[screen.ticket_id] = state
        with saver.lock:
            for ticket_id, state in list(saver.pending.items()):
                stored = self.facades.replies.try_save_draft(
                    ticket_id,
                    state.text,
                    macro_id=state.macro_id,
                    ticket_version=state.ticket_version,
                    last_event_id=state.last_event_id,
                )
                if stored is None:
                    return False
                del saver.pending[ticket_id]
        return True

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
            self.notify(self.mail.error, title=_("Mail is off"), severity="warning", timeout=15, markup=False)
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
                    self.call_from_thread(
                        self.notify_safe,
                        str(exc),
                        title=_("Mail: sending") if name == "send" else _("Mail: fetching"),
                        severity="warning",
                    )
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
        if now is None:
            reason = _(
                "the database file {file} was deleted while the app ran; nothing more is saved: quit and start again"
            ).format(file=self.database_label)
        else:
            reason = _(
                "the database file {file} was replaced by another file while the app ran; "
                "nothing more is saved: quit and start again"
            ).format(file=self.database_label)
        db.block_writes(self.engine, reason)
        self.notify_safe(reason, title=_("Database gone: writes blocked"), severity="error", timeout=10**9)
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

    def database_trouble(self, exc: BaseException, *, kept: str = "", title: str | None = None) -> bool:
        """A database error during an operator's action becomes a notification naming the cause.

        Returns False (the caller re-raises) when ``exc`` is not a database error. ``kept`` says
        what of the operator's input is kept for the next try; ``title`` is "Not saved" unless
        given (a read says "Not refreshed").
        """
        message = db.describe_failure(exc)
        if message is None:
            return False
        if db.is_busy(exc):
            message = self.facades.app.busy_message()  # names the holder: "an import by ana is running"
        self.notify_safe(f"{message}. {kept}".strip(), title=title or _("Not saved"), severity="error")
        return True

    async def read_in_background(self, work: Callable[[], _T], name: str) -> _T | None:
        """``work()``, a read (a screen's content), on a daemon thread (``ui/threads.py``: quitting
        does not wait for it). A database failure becomes a notification naming the cause, and
        None: the screen keeps what it showed (without this, a failed worker showed nothing)."""
        try:
            return await in_daemon_thread(work, name)
        except Exception as exc:
            if not self.database_trouble(exc, title=_("Not refreshed")):
                raise
            return None

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
        self.notify_safe(str(exc), title=title or _(exc.title), severity="warning")

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
