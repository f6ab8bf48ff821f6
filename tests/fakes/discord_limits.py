"""What Discord refuses in a message: its documented size limits and embed URLs it will not take
(used by the fake REST API, and by tests to check what the bot sent)."""

from __future__ import annotations

import re
from typing import Any


def message_limit_errors(body: dict[str, Any]) -> list[str]:
    """Which of Discord's message size limits ``body`` breaks (empty when it is valid)."""
    errors = []
    if len(body.get("content") or "") > 2000:
        errors.append("content > 2000")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors.append("more than 10 embeds")
    total = 0
    for embed in embeds:
        parts = {
            "title": (embed.get("title") or "", 256),
            "description": (embed.get("description") or "", 4096),
            "footer": ((embed.get("footer") or {}).get("text") or "", 2048),
        }
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append("more than 25 fields")
        for number, fld in enumerate(fields):
            parts[f"field {number} name"] = (fld["name"], 256)
            parts[f"field {number} value"] = (fld["value"], 1024)
            if not fld["name"] or not fld["value"]:
                errors.append(f"field {number} empty")
        for name, (text, limit) in parts.items():
            total += len(text)
            if len(text) > limit:
                errors.append(f"{name} > {limit}")
    if total > 6000:
        errors.append("embeds total > 6000")
    for row in body.get("components") or []:
        for comp in row.get("components", []):
            if len(comp.get("custom_id", "")) > 100 or len(comp.get("label", "")) > 80:
                errors.append("component custom_id/label too long")
    return errors


def embed_url_errors(body: dict[str, Any]) -> list[str]:
    """Embed URLs Discord refuses ("Scheme must be one of ('http', 'https')", "Not a well
    formed URL"): any URL that is not http(s) or holds white space or control characters."""
    errors = []
    for number, embed in enumerate(body.get("embeds") or []):
        url = embed.get("url")
        if url is None:
            continue
        scheme, _, rest = str(url).partition("://")
        if scheme not in ("http", "https") or not rest:
            errors.append(f"embeds.{number}.url: Scheme must be one of ('http', 'https').")
        elif re.search(r"[\s\x00-\x1f\x7f]", url):
            errors.append(f"embeds.{number}.url: Not a well formed URL.")
    return errors
