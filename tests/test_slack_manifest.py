"""The Slack app manifest asks for what the bot listens to, and the CLI names missing secrets."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import SecretStr

from bot.cli.slack import missing_secret
from bot.settings import Settings, SlackSettings
from bot.slack.app import SLASH_COMMAND

MANIFEST = Path(__file__).resolve().parents[1] / "deploy" / "slack-manifest.yaml"


def test_manifest_matches_the_bot() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    settings = manifest["settings"]
    assert {"app_mention", "message.im", "reaction_added"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SLASH_COMMAND
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {"app_mentions:read", "chat:write", "commands", "im:history", "reactions:read"}
    needed.add("im:write")  # conversations.open for alert DMs
    assert needed | {"users:read"} == scopes, "exactly the scopes the code uses, no more"
    assert len(manifest["display_information"]["description"]) <= 140


def test_missing_secrets_are_named_never_shown(tmp_path: Path) -> None:
    token = SecretStr("xoxb-very-secret")
    socket = Settings(data_dir=tmp_path, slack=SlackSettings(bot_token=token))
    message = missing_secret(socket) or ""
    assert "APP_TOKEN" in message and "xoxb-very-secret" not in message
    http = Settings(data_dir=tmp_path, slack=SlackSettings(mode="http", bot_token=token))
    assert "SIGNING_SECRET" in (missing_secret(http) or "")
    ready = SlackSettings(mode="http", bot_token=token, signing_secret=SecretStr("s"))
    assert missing_secret(Settings(data_dir=tmp_path, slack=ready)) is None
    assert "BOT_TOKEN" in (missing_secret(Settings(data_dir=tmp_path)) or "")
