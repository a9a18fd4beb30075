"""Command palette: go to any area, or run any action of the current screen by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen

from dtc_tui import i18n
from dtc_tui.i18n import _
from dtc_tui.ui.screens.help import format_key

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp


def _open_import(app: DtcApp) -> None:
    from dtc_tui.ui.screens.import_dialog import open_import_dialog

    open_import_dialog(app)


def _open_sla_settings(app: DtcApp) -> None:
    from dtc_tui.ui.screens.tickets.sla_settings import SlaSettingsScreen

    app.push_screen(SlaSettingsScreen())


def _open_macros(app: DtcApp) -> None:
    from dtc_tui.ui.screens.tickets.macros import MacroScreen

    app.push_screen(MacroScreen())


def _is_ours(node: DOMNode) -> bool:
    """Bindings of the app, the screen and our own widgets; not Textual's (an Input's "Delete character left")."""
    return isinstance(node, (App, Screen)) or type(node).__module__.startswith("dtc_tui.")


def screen_actions(screen: Screen[Any]) -> list[tuple[str, str, str, DOMNode]]:
    """(description, keys, action, node) of every enabled action with a description on ``screen``.

    Read from the screen the palette was opened on (``Provider.screen``), never ``app.screen``,
    which is the palette itself while it is open. One entry per action, with all its keys.
    """
    grouped: dict[tuple[int, str], tuple[str, list[str], DOMNode]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or not active.enabled or not _is_ours(active.node):
            continue
        if binding.action.startswith("switch_area("):
            continue  # the "Go to" entries cover these, with their key
        entry = grouped.setdefault((id(active.node), binding.action), (_(binding.description), [], active.node))
        entry[1].append(format_key(key))
    return [
        (description, ", ".join(sorted(keys, key=len)), action, node)
        for (_node, action), (description, keys, node) in grouped.items()
    ]


class AreaCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app: DtcApp = self.app  # type: ignore[assignment]
        tabs = {area: (key, label) for key, area, label in app.AREA_TABS}
        commands: list[tuple[str, str, object]] = []
        for mode, title_id in app.AREA_TITLES.items():
            key, label_id = tabs.get(mode, ("", title_id))
            title, label = _(title_id), _(label_id)
            # The tab's short name too ("Stock" for Inventory), as the title bar shows it.
            name = title if label in title else _("{title} ({tab})").format(title=title, tab=label)
            help_text = (
                _("Switch to the {title} screen (key {key})").format(title=title, key=key)
                if key
                else _("Switch to the {title} screen").format(title=title)
            )
            commands.append((_("Go to {name}").format(name=name), help_text, partial(app.action_switch_area, mode)))
        for description, keys, action, node in screen_actions(self.screen):
            commands.append((description, _("Key {keys}").format(keys=keys), partial(app.run_action, action, node)))
        extra = getattr(self.screen, "palette_commands", None)
        for title, help_text, callback in list(extra()) if extra else []:
            commands.append((_(title), _(help_text), callback))
        commands.append(
            (
                _("Import a file..."),
                _("Shopify, Zendesk, Freshdesk, Meta/Google/TikTok ads or a dtc-tui export"),
                partial(_open_import, app),
            )
        )
        commands.append(
            (
                _("SLA settings..."),
                _("Policies, calendars and holidays; test a policy"),
                partial(_open_sla_settings, app),
            )
        )
        commands.append(
            (
                _("Macros..."),
                _("Canned replies: add, edit, delete (used with ctrl+o in a reply)"),
                partial(_open_macros, app),
            )
        )
        # Both names in their own script, so that an operator who cannot read the current language finds it.
        names = " / ".join(i18n.NAMES.values())
        commands.append(
            (
                _("Language: {names}").format(names=names) + ("" if i18n.current() == "en" else " (Language)"),
                _("Speak another language: saved as the language setting; the app starts again in it"),
                app.choose_language,
            )
        )
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)  # type: ignore[arg-type]
