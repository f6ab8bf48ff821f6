"""Typed ``more`` over the real bolt stack: it pages the latest answer in that thread, DM or
channel for that user (the footer of every answer tells people to type it)."""

from __future__ import annotations

import json

from tests import test_slack_e2e as base
from tests.fakes.slack_api import Call
from tests.test_slack_e2e import assert_valid_message, mention

services, slack, start_bot = base.services, base.slack, base.start_bot  # the fixtures

TOPIC = "Fourier transforms"


def shown(call: Call) -> str:
    """Everything a user sees of a posted message."""
    return json.dumps(call.params, ensure_ascii=False)


async def test_more_in_the_thread_then_slash_more_pages_on(start_bot) -> None:
    bot = await start_bot()
    question = mention(TOPIC)
    await bot.event(question)
    [first] = await bot.slack.wait_for("chat.postMessage")
    assert "Results 1-5" in shown(first) and "@Paperboy more" in shown(first)

    await bot.event({**mention("more"), "thread_ts": question["ts"]})
    second = (await bot.slack.wait_for("chat.postMessage", 2))[1]
    assert_valid_message(second)
    assert second.params["thread_ts"] == question["ts"]
    assert "Results 6-10" in shown(second) and "expired" not in shown(second)
    assert TOPIC in second.params["blocks"][0]["text"]["text"]

    # someone else typing `more` in the same thread has no answer of their own to page
    await bot.event({**mention("more"), "user": "U0BOB", "thread_ts": question["ts"]})
    third = (await bot.slack.wait_for("chat.postMessage", 3))[2]
    assert "no earlier answer" in shown(third) and "Results" not in shown(third)

    # `/papers more` in the channel continues the same user's latest answer there
    await bot.command("more", "U0ADA", question["channel"], "more")
    [paged] = await bot.slack.wait_for("response_url:more")
    assert "Results 11-15" in shown(paged), shown(paged)


async def test_more_in_a_dm_and_questions_that_start_with_more(start_bot) -> None:
    bot = await start_bot()
    dm = {"type": "message", "channel_type": "im", "channel": "D0ADA", "user": "U0ADA"}
    await bot.event({**dm, "text": "more", "ts": "1700000300.000100"})
    [nothing] = await bot.slack.wait_for("chat.postMessage")
    assert "no earlier answer" in shown(nothing)

    await bot.event({**dm, "text": TOPIC, "ts": "1700000300.000200"})
    await bot.slack.wait_for("chat.postMessage", 2)
    await bot.event({**dm, "text": "more", "ts": "1700000300.000300"})
    page2 = (await bot.slack.wait_for("chat.postMessage", 3))[2]
    assert "Results 6-10" in shown(page2)

    # a question that starts with "more" is a question, not paging
    await bot.event({**dm, "text": "more papers on fast Fourier transforms", "ts": "1.4"})
    searched = (await bot.slack.wait_for("chat.postMessage", 4))[3]
    assert "Results 1-5" in shown(searched) and "expired" not in shown(searched)
    assert "Papers for “fast Fourier transforms”" in shown(searched)


async def test_typed_more_after_the_more_button_continues_from_the_button(start_bot) -> None:
    bot = await start_bot()
    question = mention(TOPIC, channel="C0MOREBTN", ts="1700000400.000100")
    await bot.event(question)
    [first] = await bot.slack.wait_for("chat.postMessage")
    posted = {**first.params, "ts": first.response["ts"], "thread_ts": question["ts"]}
    [button] = [b for b in base.buttons(first.params) if b["action_id"] == "paperboy_more"]
    await bot.press(button, posted, "C0MOREBTN", "more")
    second = (await bot.slack.wait_for("chat.postMessage", 2))[1]
    assert "Results 6-10" in shown(second)

    await bot.event({**mention("more", channel="C0MOREBTN"), "thread_ts": question["ts"]})
    third = (await bot.slack.wait_for("chat.postMessage", 3))[2]
    assert third.params["thread_ts"] == question["ts"]
    assert "Results 11-15" in shown(third), "typed more continues after the button's page"
