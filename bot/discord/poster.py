"""Posting digests to Discord channels (the scheduler's :class:`~bot.digest.posting.DigestPoster`)."""

from __future__ import annotations

from bot.chat.reply import Reply
from bot.discord.bot import PLATFORM, PaperboyBot
from bot.discord.components import send_kwargs
from bot.discord.render import render_reply


class DiscordPoster:
    """:class:`bot.digest.posting.DigestPoster` for Discord: sends a Reply to a channel by id."""

    platform = PLATFORM

    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Send ``reply`` as embeds; discord.py waits out 429s. Returns the message id."""
        channel = self.bot.get_partial_messageable(int(channel_id))
        message = await channel.send(**send_kwargs(render_reply(reply)))
        self.bot.remember(int(channel_id), message.id, reply)
        return str(message.id)
