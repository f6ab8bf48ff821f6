"""Slack Events API requests as Slack sends them: an ``app_mention`` event callback, signed
with the app's signing secret (for the concurrency tests and ``bench/load_chat.py``)."""

from __future__ import annotations

import json
import time

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID


def signed_mention(
    text: str, channel: str, event_id: str, secret: str, user: str = "U0ASKER"
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of an ``@Paperboy <text>`` event in ``channel``."""
    now = time.time()
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0PAPERBOY",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "event": {
                "type": "app_mention",
                "user": user,
                "text": f"<@{BOT_USER_ID}> {text}",
                "ts": f"{now:.6f}",
                "channel": channel,
                "event_ts": f"{now:.6f}",
            },
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    )
    stamp = str(int(now))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
            timestamp=stamp, body=body
        ),
    }
    return body.encode(), headers
