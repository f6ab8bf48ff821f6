"""``/papers ...``: the slash command group; each subcommand becomes router text."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.discord.bot import PaperboyBot


class PapersCog(commands.GroupCog, group_name="papers", group_description="Research papers"):
    """``/papers ...``: each subcommand becomes router text."""

    def __init__(self, bot: PaperboyBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="search", description="Find papers that answer a question")
    @app_commands.describe(question="What you want to read about, e.g. fast FFT-based attention")
    async def search(self, interaction: discord.Interaction, question: str) -> None:
        await self.bot.answer(interaction, question)

    @app_commands.command(name="similar", description="Papers similar to one paper")
    @app_commands.describe(paper="An arXiv id (2105.03824) or URL")
    async def similar(self, interaction: discord.Interaction, paper: str) -> None:
        await self.bot.answer(interaction, f"similar {paper}")

    @app_commands.command(name="digest", description="Today's trending papers for this channel")
    async def digest(self, interaction: discord.Interaction) -> None:
        await self.bot.answer(interaction, "digest", private=True)

    @app_commands.command(name="subscribe", description="Daily digest of a topic in this channel")
    @app_commands.describe(topic="e.g. diffusion models")
    async def subscribe(self, interaction: discord.Interaction, topic: str) -> None:
        await self.bot.answer(interaction, f"subscribe {topic}")

    @app_commands.command(name="unsubscribe", description="Stop this channel's daily digest")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        await self.bot.answer(interaction, "unsubscribe")

    @app_commands.command(name="settings", description="This channel's digest plan")
    async def settings(self, interaction: discord.Interaction) -> None:
        await self.bot.answer(interaction, "settings", private=True)

    @app_commands.command(name="alert", description="DM me new papers on a topic (personal)")
    @app_commands.describe(what="a topic to watch, `list`, or `remove <n>`")
    async def alert(self, interaction: discord.Interaction, what: str) -> None:
        await self.bot.answer(interaction, f"alert {what}", private=True)

    @app_commands.command(name="recommend", description="Recent papers this channel may like")
    async def recommend(self, interaction: discord.Interaction) -> None:
        await self.bot.answer(interaction, "recommend")

    @app_commands.command(name="help", description="What Paperboy can do")
    async def help(self, interaction: discord.Interaction) -> None:
        await self.bot.answer(interaction, "help", private=True)
