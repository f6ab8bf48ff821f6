"""Text -> intent -> Reply: the only command parser, shared by Slack, Discord and the CLI.

Grammar (first word decides; anything else is a question):
``help`` · ``search <question>`` · ``similar <arXiv id or URL>`` · ``more <token>`` ·
``digest`` · ``subscribe <topic>`` · ``unsubscribe`` · ``settings`` ·
``feedback up|down <token>``. Questions may carry their own filters ("since 2024", "by Hinton",
"this week", "trending") and an arXiv id/URL means "similar papers".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Protocol

from bot.chat.reply import Action, ChatRequest, Reply, ReplyItem
from bot.ops.metrics import Metrics
from bot.store.state import BotState
from retrieval.index import PaperIndex, UnknownPaper
from retrieval.models import Hit, SearchQuery, SearchResult
from retrieval.query import describe_filters, find_arxiv_id, parse_question
from retrieval.search import Mode
from retrieval.text import normalise_space

log = logging.getLogger(__name__)
MAX_QUESTION = 500

HELP = """Ask me for research papers in plain words:
• `fast FFT-based attention papers`
• `linear attention papers from this month` · `diffusion since 2024` · `by Yann LeCun`
• `trending papers this week` · `newest state space models`
• `similar 2105.03824` (or any arXiv / Hugging Face paper URL)
Channel digest (admins): `subscribe <topic>` · `unsubscribe` · `settings` · `digest` shows today's."""


class DigestCommands(Protocol):
    """What the router needs from the digest service."""

    def preview(self, platform: str, channel_id: str, day: date | None = None) -> Reply: ...
    def subscribe(self, platform: str, channel_id: str, topic: str) -> Reply: ...
    def unsubscribe(self, platform: str, channel_id: str) -> Reply: ...
    def settings(self, platform: str, channel_id: str) -> Reply: ...


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
    ) -> None:
        self.index = index
        self.state = state
        self.digests = digests
        self.page_size = page_size
        self.mode = mode
        self.today = today
        self.metrics = metrics or Metrics()

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
            return self.ask(rest)
        if word == "similar":
            if not rest:
                return error_reply("Tell me which paper: `similar 2105.03824` or a paper URL.")
            paper_id = find_arxiv_id(rest) or rest.split()[0]
            if not (find_arxiv_id(rest) or self.index.get(paper_id)):
                return error_reply(
                    f"“{rest[:80]}” doesn't look like an arXiv id or paper URL. "
                    "Try `similar 2105.03824` or `similar https://arxiv.org/abs/2105.03824`."
                )
            return self.ask(f"similar {paper_id}")
        if word == "more":
            return self.more(rest)
        if word == "feedback":
            return self.feedback(request, rest)
        if word in ("digest", "subscribe", "unsubscribe", "settings"):
            return self.digest_command(request, word, rest)
        return self.ask(text)

    def ask(self, question: str, offset: int = 0) -> Reply:
        """Run a question and render one page of results."""
        if not question.strip():
            return error_reply("What should I look for? Try `fast FFT-based attention papers`.")
        if len(question) > MAX_QUESTION:
            return error_reply(f"That question is too long; keep it under {MAX_QUESTION} chars.")
        word, _, target = question.partition(" ")
        if word == "similar" and target:
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
            return error_reply(
                f"I don't have {missing} in my library yet, so I can't find papers like it. "
                "Try describing it in words."
            )
        return self.render_result(question, result)

    def more(self, token: str) -> Reply:
        """The next page of an earlier question."""
        payload = self.state.load_page(token.strip()) if token.strip() else None
        if not payload:
            return error_reply("That list has expired; please ask again.")
        return self.ask(payload["question"], offset=int(payload["offset"]))

    def feedback(self, request: ChatRequest, rest: str) -> Reply:
        """Record 👍/👎 pressed on a reply's button."""
        direction, _, token = rest.partition(" ")
        payload = self.state.load_page(token.strip()) if token.strip() else None
        if direction not in ("up", "down") or not payload:
            return error_reply("I couldn't tell which answer that feedback was for.")
        self.state.record_feedback(
            request.platform,
            request.channel_id,
            f"page:{token.strip()}",
            request.user_id,
            1 if direction == "up" else -1,
            payload.get("paper_ids") or [],
        )
        return Reply(title="Thanks for the feedback!", kind="info")

    def digest_command(self, request: ChatRequest, word: str, rest: str) -> Reply:
        """digest / subscribe / unsubscribe / settings for this channel."""
        if self.digests is None:
            return error_reply("Digests are not enabled on this Paperboy.")
        if word == "digest":
            return self.digests.preview(request.platform, request.channel_id, self.today())
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

    def render_result(self, question: str, result: SearchResult) -> Reply:
        """A results Reply with paging and "similar" buttons."""
        query = result.query
        filters = describe_filters(query)
        if result.anchor is not None:
            title = f"Papers like “{result.anchor.title}”"
        else:
            title = f"Papers for “{query.text or question}”"
        if filters:
            title += f" ({filters})"
        notes = " ".join(query.notes)
        if not result.hits:
            empty = "No papers matched" + (f" {filters}" if filters else "") + "."
            return Reply(title=title, text=" ".join(filter(None, [empty, notes])), kind="results")
        ids = [h.paper.id for h in result.hits]
        token = self.state.save_page(
            {"question": question, "offset": query.offset + len(result.hits), "paper_ids": ids}
        )
        actions = []
        if result.has_more:
            actions.append(Action("more", "More results", f"more {token}"))
        actions.append(Action("similar", "Similar to #1", f"similar {ids[0]}"))
        actions.append(Action("feedback", "👍", f"feedback up {token}"))
        actions.append(Action("feedback", "👎", f"feedback down {token}"))
        shown = f"{query.offset + 1}-{query.offset + len(result.hits)}"
        return Reply(
            title=title,
            items=tuple(to_item(hit) for hit in result.hits),
            text=notes,
            footer=f"Results {shown} · `more` for the next page · `similar <id>` for related work",
            actions=tuple(actions),
            first_rank=query.offset + 1,
            paper_ids=tuple(ids),
        )


def to_item(hit: Hit) -> ReplyItem:
    """A search hit as a neutral reply item."""
    paper = hit.paper
    day = paper.published or paper.list_date
    return ReplyItem(
        paper_id=paper.id,
        title=paper.title,
        url=paper.link,
        authors=paper.authors,
        date=day.isoformat() if day else None,
        upvotes=paper.upvotes,
        snippet=hit.snippet,
        score=round(hit.score, 4),
    )
