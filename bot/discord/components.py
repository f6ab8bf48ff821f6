"""Discord message components and send arguments: persistent command buttons, the view that
holds them, and the keyword arguments every send uses (mentions always off)."""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord

from bot.chat.buttons import BUTTON_PREFIX, decode
from bot.discord.render import ButtonSpec, DiscordMessage

NO_MENTIONS = discord.AllowedMentions.none()
BUTTON_STYLES = {"more": discord.ButtonStyle.primary, "similar": discord.ButtonStyle.secondary}


@runtime_checkable
class Presser(Protocol):
    """The client a button press is handed to (:class:`bot.discord.bot.PaperboyBot`)."""

    async def press(self, interaction: discord.Interaction, command: str) -> None: ...

    async def expired(self, interaction: discord.Interaction) -> None: ...


class CommandButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"(?s){BUTTON_PREFIX}(?P<command>.*)"
):
    """A button whose ``custom_id`` is ``pb1:`` + the router command it runs, so it survives
    restarts. A garbled command is not run: the press gets the "expired" answer."""

    def __init__(self, spec: ButtonSpec) -> None:
        style = BUTTON_STYLES.get(spec.kind, discord.ButtonStyle.secondary)
        super().__init__(discord.ui.Button(label=spec.label, custom_id=spec.custom_id, style=style))
        self.command = decode(spec.custom_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> CommandButton:
        """Rebuild the button from a press on any message, even one sent before a restart."""
        label = getattr(item, "label", None) or "…"
        button = cls(ButtonSpec(label=label, custom_id=match.group(0), kind=""))
        button.item.style = getattr(item, "style", button.item.style)
        return button

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the bot."""
        bot = interaction.client
        if not isinstance(bot, Presser):
            return
        if self.command is None:
            await bot.expired(interaction)
        else:
            await bot.press(interaction, self.command)


class StaleButton(
    discord.ui.DynamicItem[discord.ui.Button], template=rf"(?s)(?!{BUTTON_PREFIX}).+"
):
    """Any other ``custom_id``: a button from an older Paperboy (before ``pb1:``), since Discord
    only sends presses on this application's own messages. It gets the "expired" answer."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="…", custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ) -> StaleButton:
        """Any press whose ``custom_id`` is not this version's."""
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer privately that the button has expired."""
        bot = interaction.client
        if isinstance(bot, Presser):
            await bot.expired(interaction)


def make_view(buttons: tuple[ButtonSpec, ...]) -> discord.ui.View | None:
    """A persistent view (no timeout) with the buttons, five to a row; None when there are none."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for number, spec in enumerate(buttons):
        button = CommandButton(spec)
        button.item.row = number // 5
        view.add_item(button)
    return view


def send_kwargs(rendered: DiscordMessage) -> dict[str, Any]:
    """Keyword arguments for ``Messageable.send`` / ``Message.reply``."""
    kwargs: dict[str, Any] = {
        "content": rendered.content,
        "embeds": rendered.embeds,
        "allowed_mentions": NO_MENTIONS,
    }
    view = make_view(rendered.buttons)
    if view is not None:
        kwargs["view"] = view
    return kwargs
