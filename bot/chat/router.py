"""Text -> intent -> Reply: the only command parser, shared by Slack, Discord and the CLI.

Grammar (first word decides; anything else is a question):
``help`` · ``search <question>`` · ``similar <arXiv id, URL or title>`` · ``more`` (the next
page of the latest answer in this thread / DM / channel) or ``more <token>`` (a button) ·
``digest`` · ``subscribe <topic>`` · ``unsubscribe`` · ``settings`` ·
``feedback up|down <token>`` · ``recommend`` · ``alert <topic>|list|remove <n>`` (personal DMs).
Questions may carry their own filters ("since 2024", "by Hinton",
"this week", "newest first", "trending", "top 5"); an arXiv id/URL or a quoted title means
"similar papers" (an arXiv paper not in the library is fetched and added); a pasted passage
(over 500 characters) means "papers like this passage".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Protocol

from bot.chat.feedback import THANKS, note_similar, record_button_feedback
from bot.chat.help import HELP
from bot.chat.lookup import PaperFetcher, add_from_arxiv, quoted_title, unquote
from bot.chat.paging import conversation_keys, footer_hints, is_paging
from bot.chat.reply import ChatRequest, Reply
from bot.chat.results import Asked, empty_reply, no_match_reply, results_reply
from bot.ops.metrics import Metrics
from bot.store.state import BotState
from retrieval.index import PaperIndex, UnknownPaper
from retrieval.models import SearchQuery, SearchResult
from retrieval.query import find_arxiv_id, parse_question
from retrieval.search import Mode
from retrieval.text import normalise_space

log = logging.getLogger(__name__)
MAX_QUESTION = 500  # longer than this, a text is a pasted passage: "papers like this"
MAX_PASSAGE = 5000


class DigestCommands(Protocol):
    """What the router needs from the digest service."""

    def preview(self, platform: str, channel_id: str, day: date | None = None) -> Reply: ...
    def subscribe(self, platform: str, channel_id: str, topic: str) -> Reply: ...
    def unsubscribe(self, platform: str, channel_id: str) -> Reply: ...
    def settings(self, platform: str, channel_id: str) -> Reply: ...
    def recommend(self, platform: str, channel_id: str) -> Reply: ...


class AlertCommands(Protocol):
    """What the router needs from personal alerts (:class:`bot.alerts.chat.AlertChat`)."""

    def handle(self, platform: str, user_id: str, rest: str) -> Reply: ...


def error_reply(message: str) -> Reply:
    """A friendly error the user can act on."""
    return Reply(title="Sorry, I couldn't do that", text=message, kind="error")


class CommandRouter:
    """Turns a ChatRequest into a Reply using the retrieval core and the digest service."""

    def __init__(
        self,
        index: PaperIndex,
        state: BotState,
        digests: DigestCommands | None = None,
        page_size: int = 5,
        mode: Mode = "hybrid",
        today: Callable[[], date] = date.today,
        metrics: Metrics | None = None,
        fetcher: PaperFetcher | None = None,
        alerts: AlertCommands | None = None,
    ) -> None:
        self.index = index
        self.state = state
        self.digests = digests
        self.page_size = page_size
        self.mode = mode
        self.today = today
        self.metrics = metrics or Metrics()
        self.fetcher = fetcher
        self.alerts = alerts

    def handle(self, request: ChatRequest) -> Reply:
        """Answer one request. Never raises for bad input; failures become error replies."""
        started = time.perf_counter()
        reply = self._handle(request)
        self.metrics.observe_answer(request.platform, reply.kind, time.perf_counter() - started)
        return reply

    def _handle(self, request: ChatRequest) -> Reply:
        text = normalise_space(request.text)
        word, _, rest = text.partition(" ")
        word = word.lower().lstrip("/!")
        try:
            return self._dispatch(request, word, rest.strip(), text)
        except Exception:
            store = getattr(self.index, "store", None)
            if store is not None and not store.heartbeat():
                log.warning("the paper store is unreachable; answered %r with an apology", text)
                self.metrics.record_error("store")
                return error_reply(
                    "I can't reach the paper library right now. Please try again in a minute; "
                    "nothing you asked is lost, just ask again."
                )
            log.exception("request failed: %r", text[:200])
            self.metrics.record_error("router")
            return error_reply("Something went wrong on my side; please try again in a minute.")

    def _dispatch(self, request: ChatRequest, word: str, rest: str, text: str) -> Reply:
        if word in ("", "help", "?"):
            return Reply(title="Paperboy help", text=HELP, kind="help")
        if word == "search":
            return self.ask(rest, request)
        if word == "similar":
            return self.similar(request, rest)
        if word == "more" and is_paging(rest):
            return self.more(request, rest)
        if word == "feedback":
            return self.feedback(request, rest)
        if word in ("digest", "subscribe", "unsubscribe", "settings", "recommend"):
            return self.digest_command(request, word, rest)
        if word == "alert":
            if self.alerts is None:
                return error_reply("Personal alerts are not enabled on this Paperboy.")
            return self.alerts.handle(request.platform, request.user_id, rest)
        return self.ask(text, request)

    def similar(self, request: ChatRequest, rest: str) -> Reply:
        """``similar <arXiv id, URL or title>``."""
        if not rest:
            return error_reply("Tell me which paper: `similar 2607.27230` or a paper URL.")
        paper_id = find_arxiv_id(rest)
        if paper_id is None and self.index.get(rest.split()[0]) is not None:
            paper_id = rest.split()[0]
        if paper_id is not None:
            note_similar(self.state, request, paper_id)
            return self.ask(f"similar {paper_id}", request)
        return self.like_title(request, unquote(rest), quoted=rest[:1] in "\"“'‘")

    def like_title(self, request: ChatRequest, title: str, quoted: bool = True) -> Reply:
        """Papers like the library paper titled ``title``; when it isn't there, say so."""
        paper = self.index.find_title(title)
        if paper is None:
            found = (
                f"I couldn't find a paper titled “{title[:120]}” in my library."
                if quoted
                else f"“{title[:120]}” doesn't look like an arXiv id, and no paper in my "
                "library has that title."
            )
            return error_reply(
                f"{found} "
                f"For a text search, ask `search {title[:120]}`; for a paper I don't have, "
                "give its arXiv id: `similar 2607.27230`."
            )
        return self.ask(f"similar {paper.id}", request)

    def ask(self, question: str, request: ChatRequest | None = None, offset: int = 0) -> Reply:
        """Run a question (or a pasted passage) and render one page of results."""
        request = request or ChatRequest(text=question)
        question = question.strip()
        if not question:
            return error_reply("What should I look for? Try `fast FFT-based attention papers`.")
        if len(question) > MAX_PASSAGE:
            return error_reply(
                f"That's {len(question):,} characters; I can read up to {MAX_PASSAGE:,}. "
                "Paste the abstract or one paragraph and I'll find papers like it."
            )
        title = quoted_title(question)
        if title is not None and len(question) <= MAX_QUESTION:
            return self.like_title(request, title)
        asked = Asked(question, platform=request.platform)
        word, _, target = question.partition(" ")
        if len(question) > MAX_QUESTION:
            asked = Asked(question, "the passage you pasted", request.platform)
            query = SearchQuery(text=question, limit=self.page_size, offset=offset)
        elif word == "similar" and target:
            query = SearchQuery(similar_to=target.strip(), limit=self.page_size, offset=offset)
        else:
            query = parse_question(question, self.today(), limit=self.page_size)
            query = replace(query, offset=offset)
        vague = not (query.text or query.similar_to or query.has_date_filter or query.author)
        if vague and query.order == "relevance":
            return error_reply("What topic? Try `linear attention papers from this month`.")
        try:
            result = self.index.search(query, mode=self.mode, today=self.today())
        except UnknownPaper as missing:
            found, problem = add_from_arxiv(self.index, self.fetcher, str(missing))
            if found is None:
                return error_reply(f"{problem} Try describing it in words: `search <topic>`.")
            query = replace(query, similar_to=found)
            asked = replace(asked, question=f"similar {found}")
            result = self.index.search(query, mode=self.mode, today=self.today())
        return self.render_result(request, asked, result)

    def more(self, request: ChatRequest, token: str) -> Reply:
        """The next page of an earlier answer: the button's token, or (typed ``more``) the latest
        answer in this thread / DM / channel for this user."""
        token = token.strip() or self.state.last_page(conversation_keys(request)) or ""
        payload = self.state.load_page(token) if token else None
        if not payload:
            return error_reply(
                "That list has expired; please ask again."
                if token
                else "There is no earlier answer here to continue; ask a question first."
            )
        reply = self.ask(payload["question"], request, offset=int(payload["offset"]))
        if reply.kind == "results" and not reply.items:
            return Reply(
                title="That's all", text="There are no more results for that question.", kind="info"
            )
        return reply

    def feedback(self, request: ChatRequest, rest: str) -> Reply:
        """Record 👍/👎 pressed on a reply's button (see :mod:`bot.chat.feedback`)."""
        reply = record_button_feedback(self.state, request, rest)
        if reply is THANKS:
            self.metrics.record_feedback(request.platform, 1 if rest.startswith("up") else -1)
        return reply

    def digest_command(self, request: ChatRequest, word: str, rest: str) -> Reply:
        """digest / subscribe / unsubscribe / settings for this channel."""
        if self.digests is None:
            return error_reply("Digests are not enabled on this Paperboy.")
        if word == "digest":
            return self.digests.preview(request.platform, request.channel_id, self.today())
        if word == "recommend":
            return self.digests.recommend(request.platform, request.channel_id)
        if word != "settings" and not request.is_admin:
            return error_reply("Only admins can change this channel's digest.")
        if word == "subscribe":
            if not rest:
                return error_reply(
                    "Give a topic: `subscribe efficient attention and long context`."
                )
            return self.digests.subscribe(request.platform, request.channel_id, rest)
        if word == "unsubscribe":
            return self.digests.unsubscribe(request.platform, request.channel_id)
        return self.digests.settings(request.platform, request.channel_id)

    def render_result(self, request: ChatRequest, asked: Asked, result: SearchResult) -> Reply:
        """Results (or an honest "nothing") with paging saved for buttons and a typed ``more``."""
        if not result.hits:
            newest = self.index.catalogue().newest_day()
            return empty_reply(asked, result, newest, self.today())
        nothing = no_match_reply(asked, result)
        if nothing is not None:
            return nothing
        query = result.query
        ids = [h.paper.id for h in result.hits]
        offset = query.offset + len(result.hits)
        token = self.state.save_page(
            {"question": asked.question, "offset": offset, "paper_ids": ids}
        )
        self.state.set_last_page(conversation_keys(request), token)
        return results_reply(asked, result, token, footer_hints(request.platform, result.has_more))
