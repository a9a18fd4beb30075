"""Command palette: go to any area, or run any action of the current screen by name."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from dtc_tui.ui.app import DtcApp


def _open_import(app: DtcApp) -> None:
    from dtc_tui.ui.screens.import_dialog import open_import_dialog

    open_import_dialog(app)


def _open_sla_settings(app: DtcApp) -> None:
    from dtc_tui.ui.screens.tickets.sla_settings import SlaSettingsScreen

    app.push_screen(SlaSettingsScreen())


class AreaCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app: DtcApp = self.app  # type: ignore[assignment]
        commands: list[tuple[str, str, object]] = []
        for mode, title in app.AREA_TITLES.items():
            commands.append((f"Go to {title}", f"Switch to the {title} screen", partial(app.action_switch_area, mode)))
        screen = app.screen
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            commands.append(
                (f"{binding.description}", f"Key {binding.key}", partial(app.run_action, binding.action, active.node))
            )
        for title, help_text, callback in app.extra_commands():
            commands.append((title, help_text, callback))
        commands.append(
            (
                "Import a file...",
                "Shopify, Zendesk, Freshdesk, Meta/Google/TikTok ads or a dtc-tui export",
                partial(_open_import, app),
            )
        )
        commands.append(
            ("SLA settings...", "Policies, calendars and holidays; test a policy", partial(_open_sla_settings, app))
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
