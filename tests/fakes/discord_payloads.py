"""Discord-shaped payloads for the fake Discord: ids, users, members, the guild, messages.

:class:`FakeWorld` holds what the fake gateway and the fake REST API share: one guild with one
text channel and an admin role, one bot application, a DM channel, and the port they serve on.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"
PERM_MANAGE_CHANNELS = 1 << 4
PERM_MEMBER = 0x0000_0400_0000_0C40  # view channel, send messages, embed links, use app commands
_ids = itertools.count(1)


def snowflake() -> int:
    """A fresh, realistic (18-19 digit) Discord snowflake."""
    return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_ids) % 4096)


def iso_now() -> str:
    """Discord's timestamp format."""
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Discord would send it (without the fake's bookkeeping keys)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


class FakeWorld:
    """One fake guild with one text channel, one bot application, and a DM channel."""

    def __init__(self) -> None:
        self.app_id = snowflake()
        self.bot_user = user_payload(self.app_id, "Paperboy", bot=True)
        self.owner = user_payload(snowflake(), "owner")
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.admin_role_id = snowflake()
        self.dm_channel_id = snowflake()
        self.dm_channels: dict[int, int] = {}  # user id -> the DM channel the bot opened
        self.port = 0

    @property
    def gateway_url(self) -> str:
        """Where the gateway listens (once :attr:`port` is set)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def member(self, user_id: int, *, admin: bool = False, role: bool = False) -> dict[str, Any]:
        """A guild member payload as sent inside interactions and messages."""
        return {
            "user": user_payload(user_id, f"user{user_id % 1000}"),
            "roles": [str(self.admin_role_id)] if role else [],
            "permissions": str(PERM_MEMBER | (PERM_MANAGE_CHANNELS if admin else 0)),
            "joined_at": iso_now(),
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def channel(self) -> dict[str, Any]:
        """The guild's one text channel."""
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "papers",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }

    def message_base(self, channel_id: int, author: dict[str, Any]) -> dict[str, Any]:
        """An empty message by ``author`` in a channel of the guild."""
        return {
            "id": str(snowflake()),
            "type": 0,
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "author": author,
            "content": "",
            "embeds": [],
            "components": [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": 0,
        }

    def guild(self) -> dict[str, Any]:
        """The GUILD_CREATE payload: roles (@everyone, the admin role), channel, the bot."""
        role = {"hoist": False, "managed": False, "mentionable": False, "position": 0, "flags": 0}
        return {
            "id": str(self.guild_id),
            "name": "Paper readers",
            "icon": None,
            "owner_id": self.owner["id"],
            "roles": [
                {
                    **role,
                    "id": str(self.guild_id),
                    "name": "@everyone",
                    "permissions": "1071698660929",
                },
                {**role, "id": str(self.admin_role_id), "name": "Paper Admin", "permissions": "0"},
            ],
            "channels": [self.channel()],
            "members": [{**self.member(self.app_id), "user": self.bot_user}],
            "member_count": 3,
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }
