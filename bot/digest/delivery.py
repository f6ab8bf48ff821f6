"""Posting one channel's digest for one day at most once (the protocol is in
:mod:`bot.store.ledger`): reconcile, compose, claim, post, record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.chat.reply import Reply
from bot.digest.posting import DigestPoster, PostOutcomeUnknown
from bot.settings import ChannelPlan
from bot.store.ledger import DigestLedger
from retrieval.digest import Digest

log = logging.getLogger(__name__)

DeliveryStatus = Literal["sent", "quiet", "already", "failed", "unknown"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery attempt did."""

    status: DeliveryStatus
    day: date
    reply: Reply | None = None
    message_id: str | None = None


async def deliver_once(
    plan: ChannelPlan,
    poster: DigestPoster,
    day: date,
    now: datetime,
    *,
    ledger: DigestLedger,
    compose: Callable[[ChannelPlan, date, datetime], tuple[Digest, Reply]],
    post_quiet_days: bool,
) -> Delivery:
    """Post ``plan``'s digest for ``day`` unless the ledger says it was (or may have been)
    posted. ``compose`` selects and renders it; a quiet day is posted only if
    ``post_quiet_days``, else recorded as ``quiet``."""
    key = (plan.platform, plan.channel_id, day)
    ledger.reconcile()
    existing = ledger.entry(*key)
    if existing is not None and existing.status != "failed":
        return Delivery("already", day)
    digest, reply = await asyncio.to_thread(compose, plan, day, now)
    if digest.quiet and not post_quiet_days:
        ledger.record(*key, plan.name, "quiet", "nothing qualified")
        log.info("digest %s for %s: quiet day, nothing posted", plan.name, day)
        return Delivery("quiet", day)
    if not ledger.claim(*key, plan.name, list(reply.paper_ids)):
        return Delivery("already", day)
    try:
        message_id = await poster.post(plan.channel_id, reply)
    except PostOutcomeUnknown as err:  # may have been posted: never re-sent (at-most-once)
        log.error(
            "digest %s for %s: the platform may or may not have posted it (%s); recorded as"
            " unknown, not re-sending",
            plan.name, day, err,
        )  # fmt: skip
        ledger.mark_unknown(*key, f"outcome unknown: {err}")
        return Delivery("unknown", day, reply)
    except Exception as err:  # the platform said no: recorded, retried by a later run
        log.exception("digest %s for %s failed to post", plan.name, day)
        ledger.mark_failed(*key, f"{type(err).__name__}: {err}")
        return Delivery("failed", day, reply)
    ledger.mark_sent(*key, str(message_id))
    log.info("digest %s for %s posted as %s", plan.name, day, message_id)
    return Delivery("sent" if reply.items else "quiet", day, reply, str(message_id))
