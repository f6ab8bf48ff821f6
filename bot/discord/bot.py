"""The Discord bot: ``@Paperboy`` mentions, ``/papers`` answers, button presses, 👍/👎 reactions.

A thin translation layer: a Discord interaction or message becomes a :class:`ChatRequest`, the
shared command router answers it (in a worker thread, it is CPU bound) and the :class:`Reply` is
rendered by :mod:`bot.discord.render`. Every send disables mentions. Discord objects never leave
:mod:`bot.discord`. The slash commands are in :mod:`bot.discord.cog`, the buttons in
:mod:`bot.discord.components`, digest posting in :mod:`bot.discord.poster`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.buttons import expired_reply
from bot.chat.reply import ChatRequest, Reply
from bot.chat.workers import AnswerWorkers
from bot.discord.cog import PapersCog
from bot.discord.components import (
    NO_MENTIONS,
    CommandButton,
    StaleButton,
    make_view,
    send_kwargs,
)
from bot.discord.health import GatewayHealth
from bot.discord.http import make_rebaser, rebase_gateway, rebase_http_client, rebase_webhooks
from bot.discord.render import fallback_text, render_reply
from bot.discord.sync import sync_if_changed
from bot.ops.metrics import Metrics
from bot.settings import DiscordSettings
from bot.store.state import BotState

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
PLATFORM = "discord"
REACTIONS = {"👍": 1, "👎": -1}


class Router(Protocol):
    """The part of :class:`bot.chat.router.CommandRouter` the adapter needs."""

    def handle(self, request: ChatRequest) -> Reply: ...


class PaperboyBot(GatewayHealth, commands.AutoShardedBot):
    """The Discord bot. Resources come in through the constructor; nothing is global.

    It is an ``AutoShardedBot`` because that is the discord.py client that asks the API's
    ``GET /gateway/bot`` for the gateway URL (and shard count) instead of using the hard-coded
    ``wss://gateway.discord.gg``, so pointing ``api_base_url`` at another server moves both REST
    and gateway. ``workers`` runs the router off the event loop (the process's pool from
    :mod:`bot.services`; a private one of the default size when not given). ``options`` go to
    discord.py (e.g. ``guild_ready_timeout``).
    """

    def __init__(
        self,
        router: Router,
        state: BotState,
        settings: DiscordSettings,
        metrics: Metrics | None = None,
        workers: AnswerWorkers | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("intents", discord.Intents.default())  # no privileged intents
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            allowed_mentions=NO_MENTIONS,
            **options,
        )
        self.router = router
        self.state = state
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.workers = workers or AnswerWorkers()
        self.force_sync = False  # `paperboy discord sync`: sync even if unchanged
        self._rebase = make_rebaser(settings.api_base_url)
        if self._rebase is not None:
            rebase_http_client(self.http, self._rebase)
            rebase_gateway(self.http)

    async def login(self, token: str) -> None:
        """Log in; interaction and webhook calls made from this task on use the API base."""
        if self._rebase is not None:
            rebase_webhooks(self._rebase)  # reaches every task this bot spawns, and only those
        await super().login(token)

    async def setup_hook(self) -> None:
        """Register the buttons (still working after a restart), the cog, and sync the commands
        when they changed since the last sync (or ``force_sync``)."""
        self.add_dynamic_items(CommandButton, StaleButton)
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        await self.add_cog(PapersCog(self))
        try:
            await sync_if_changed(self, self.settings.guild_ids, force=self.force_sync)
        except discord.HTTPException:
            log.exception("could not sync slash commands (is the applications.commands scope set?)")

    async def sync_commands(self) -> None:
        """Sync ``/papers`` to the configured guilds (instant) or globally (may take an hour)."""
        if not self.settings.guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d global command(s)", len(synced))
        for guild_id in self.settings.guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d command(s) to guild %s", len(synced), guild_id)

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Never leave a slash command unanswered: a sub-command this version does not know (a
        stale client cache, e.g. ``/papers top``) gets the help; other failures an apology."""
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.info("unknown Discord command %r; answering with help", error)
            await self.answer(interaction, "help", private=True)
            return
        log.error("Discord command failed", exc_info=error)
        if not interaction.response.is_done():
            reply = Reply(title="Sorry, something went wrong", text="Please try again.")
            await interaction.response.send_message(
                content=fallback_text(reply), ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    async def expired(self, interaction: discord.Interaction) -> None:
        """A press on a button this version cannot run: say so, privately."""
        if not self.state.claim_event(f"{PLATFORM}:interaction:{interaction.id}"):
            return
        rendered = render_reply(expired_reply())
        await interaction.response.send_message(
            embeds=rendered.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    async def ask(self, request: ChatRequest) -> Reply:
        """Run the router in the answer pool; a failure becomes an error reply."""
        try:
            return await self.workers.run(self.router.handle, request)
        except Exception:
            log.exception("router failed on %r", request.text)
            return Reply(
                title="Sorry, something went wrong", text="Please try again.", kind="error"
            )

    def is_admin(self, user: discord.abc.User, permissions: discord.Permissions) -> bool:
        """Manage Channels (or Administrator) in the channel, or the configured admin role."""
        if permissions.manage_channels or permissions.administrator:
            return True
        role = self.settings.admin_role
        roles = getattr(user, "roles", [])
        return bool(role) and any(role in (r.name, str(r.id)) for r in roles)

    def request_for(
        self,
        text: str,
        channel_id: int | None,
        user: discord.abc.User,
        permissions: discord.Permissions,
    ) -> ChatRequest:
        """The neutral request for ``text`` from ``user`` (with ``permissions``) in a channel."""
        return ChatRequest(
            text=text,
            platform=PLATFORM,
            channel_id=str(channel_id),
            user_id=str(user.id),
            is_admin=self.is_admin(user, permissions),
        )

    async def answer(self, interaction: discord.Interaction, text: str, *, private=False) -> None:
        """Defer at once (Discord wants an answer within 3 s), then edit in the router's reply."""
        if not self.state.claim_event(f"{PLATFORM}:interaction:{interaction.id}"):
            return
        await interaction.response.defer(thinking=True, ephemeral=private)
        reply = await self.ask(
            self.request_for(
                text, interaction.channel_id, interaction.user, interaction.permissions
            )
        )
        rendered = render_reply(reply)
        try:
            message = await interaction.edit_original_response(
                content=rendered.content,
                embeds=rendered.embeds,
                view=make_view(rendered.buttons),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:  # never leave the user looking at "thinking…"
            log.exception("Discord refused the rendered reply; sending plain text instead")
            message = await interaction.edit_original_response(
                content=fallback_text(reply), embeds=[], view=None, allowed_mentions=NO_MENTIONS
            )
        self.remember(interaction.channel_id, message.id, reply)

    async def press(self, interaction: discord.Interaction, command: str) -> None:
        """A button runs its router command: the next page, similar papers, or 👍/👎 (answered
        privately; the router records the vote with the answer's paper ids)."""
        await self.answer(interaction, command, private=command.startswith("feedback "))

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        """👍/👎 reactions on one of our answers count as feedback on its papers."""
        value = REACTIONS.get(str(event.emoji))
        if value is None or (self.user is not None and event.user_id == self.user.id):
            return
        channel, message, user = str(event.channel_id), str(event.message_id), str(event.user_id)
        if self.state.record_feedback(PLATFORM, channel, message, user, value):
            self.metrics.record_feedback(PLATFORM, value)
            log.info("feedback %+d on message %s", value, message)

    async def on_message(self, message: discord.Message) -> None:
        """``@Paperboy <question>`` in a channel, or any DM, gets exactly one reply."""
        me = self.user
        if me is None or message.author.bot:
            return
        own_role = message.guild.self_role if message.guild is not None else None
        mentioned = me.id in {u.id for u in message.mentions} or (
            own_role is not None and own_role in message.role_mentions
        )
        if message.guild is not None and not mentioned:
            return
        if not self.state.claim_event(f"{PLATFORM}:message:{message.id}"):
            return
        own = rf"<@!?{me.id}>" + (rf"|<@&{own_role.id}>" if own_role is not None else "")
        text = re.sub(own, " ", message.content).strip() or "help"
        permissions = (
            message.channel.permissions_for(message.author)  # type: ignore[union-attr, arg-type]
            if isinstance(message.author, discord.Member)
            else discord.Permissions.none()
        )
        request = self.request_for(text, message.channel.id, message.author, permissions)
        async with message.channel.typing():
            reply = await self.ask(request)
        rendered = render_reply(reply)
        try:
            sent = await message.reply(**send_kwargs(rendered), mention_author=False)
        except discord.HTTPException as error:  # never leave a question unanswered
            log.warning("Discord refused the rendered reply (%s); sending plain text", error)
            try:
                sent = await message.reply(
                    content=fallback_text(reply), allowed_mentions=NO_MENTIONS, mention_author=False
                )
            except discord.HTTPException as again:
                log.error("could not answer message %s in plain text either: %s", message.id, again)
                return
        self.remember(message.channel.id, sent.id, reply)

    def remember(self, channel_id: int | None, message_id: int, reply: Reply) -> None:
        """Record which papers a message showed, so 👍/👎 on it can be tied to them."""
        ids = list(reply.paper_ids or (item.paper_id for item in reply.items))
        if ids:
            self.state.record_answer(PLATFORM, str(channel_id), str(message_id), ids)


def bot_for(services: Services, settings: DiscordSettings) -> PaperboyBot:
    """The Discord client of a process: it answers with ``services``' router, state, metrics and
    answer pool."""
    return PaperboyBot(
        services.router, services.state, settings, services.metrics, workers=services.workers
    )
