"""What Slack refuses in a message (``chat.postMessage`` / ``chat.update``): too many blocks,
oversized sections or headers, repeated ``action_id``s, messages too long."""

from __future__ import annotations

import json


def message_problem(params: dict) -> str | None:
    """The error Slack would answer for a message over its limits, or None."""
    blocks = params.get("blocks") or []
    if not params.get("text") and not blocks:
        return "no_text"
    if len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > 3000:
            return "invalid_blocks"
        if block.get("type") == "header" and len(text) > 150:
            return "invalid_blocks"
    action_ids = [
        element.get("action_id")
        for block in blocks
        for element in [block.get("accessory") or {}, *block.get("elements", [])]
        if isinstance(element, dict) and element.get("action_id")
    ]
    if len(action_ids) != len(set(action_ids)):
        return "invalid_blocks"  # Slack: "action_id ... already exists"
    if len(json.dumps(blocks)) + len(params.get("text") or "") > 40_000:
        return "msg_too_long"
    return None
