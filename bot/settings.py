"""Paperboy's settings: defaults < config.toml (``PAPERBOY_CONFIG``) < ``PAPERBOY_*`` env vars.

Nested values use ``__`` in env names, e.g. ``PAPERBOY_SLACK__BOT_TOKEN`` or
``PAPERBOY_STORE__CHROMA_HOST``. Secrets are ``SecretStr`` so they never show up in logs or reprs.
With no config at all Paperboy runs on an embedded Chroma store under ``./.paperboy``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.env import CONFIG_ENV

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Section(BaseModel):
    """A settings table: an unknown (misspelled) key is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class StoreSettings(Section):
    """Where papers live: embedded Chroma in the data dir, or a Chroma server when a host is set."""

    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False
    collection: str = "papers"


class EmbeddingSettings(Section):
    """The sentence-transformers model: ``bundled`` (all-MiniLM-L6-v2), a model name or a path."""

    model: str = "bundled"
    batch_size: int = Field(64, ge=1)
    # CPU threads per model call; 0 = automatic: 1 in `paperboy slack` / `discord` (questions
    # run side by side in the answer pool), torch's default (one per core) elsewhere (ingest)
    threads: int = Field(0, ge=0, le=256)


class SearchSettings(Section):
    """Defaults for answers."""

    results_per_page: int = Field(5, ge=1, le=20)
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    # "similar <arXiv id>" for a paper not in the library fetches it from
    # scheduler.arxiv_api_url and adds it
    fetch_missing_papers: bool = True
    # threads answering questions in a Slack / Discord process (CPU work off the event loop);
    # more questions than this wait their turn instead of oversubscribing the CPU
    workers: int = Field(4, ge=1, le=64)


class SlackSettings(Section):
    """The Slack app: Socket Mode (default, no public URL) or HTTP mode (Events API)."""

    mode: Literal["socket", "http"] = "socket"
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    api_base_url: str = "https://slack.com/api/"
    admin_user_ids: list[str] = Field(default_factory=list)


class DiscordSettings(Section):
    """The Discord bot: token, guilds to sync commands to (empty = global), admin role."""

    token: SecretStr | None = None
    guild_ids: list[int] = Field(default_factory=list)
    admin_role: str | None = None
    api_base_url: str = "https://discord.com/api/v10"


class ChannelPlan(Section):
    """One channel's daily digest plan."""

    name: str
    platform: Literal["slack", "discord", "cli"]
    channel_id: str
    time: str = "09:00"
    timezone: str = "UTC"
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    count: int = Field(5, ge=1, le=20)
    topic: str = ""
    min_upvotes: int = Field(0, ge=0)
    exclude_keywords: list[str] = Field(default_factory=list)

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: list[str]) -> list[str]:
        lowered = [d.strip().lower()[:3] for d in days]
        unknown = [d for d in lowered if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use {', '.join(WEEKDAYS)}")
        return lowered

    @field_validator("time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError(f"time must be HH:MM, got {value!r}")
        return f"{int(hour):02d}:{int(minute):02d}"

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises a clear error for unknown zones
        return value


class DigestSettings(Section):
    """Digest behaviour shared by every channel."""

    quiet_day_message: bool = True
    grace_hours: float = Field(6.0, ge=0)
    plans: list[ChannelPlan] = Field(default_factory=list)


class SchedulerSettings(Section):
    """Periodic ingest before digests."""

    hf_refresh_cron: str = "15 */2 * * *"
    hf_api_base_url: str = "https://huggingface.co"
    arxiv_categories: list[str] = Field(default_factory=list)
    arxiv_api_url: str = "http://export.arxiv.org/api/query"
    arxiv_max_results: int = Field(200, ge=1, le=2000)
    run_in_bot: bool = True
    lease_seconds: float = Field(60, gt=0)
    # first start with an empty store: fetch this many days of HF daily lists (0 = never);
    # when that fails (offline), the bundled demo corpus instead
    backfill_days: int = Field(30, ge=0, le=365)


class AlertSettings(Section):
    """Personal alerts: ``alert <topic>`` DMs a user new papers close to their topics."""

    enabled: bool = True
    # cosine of topic vs paper (all-MiniLM-L6-v2); see README "Personal alerts" for the choice
    threshold: float = Field(0.45, ge=0, le=1)
    max_topics: int = Field(10, ge=1, le=50)
    max_topic_chars: int = Field(200, ge=10, le=1000)
    max_papers: int = Field(5, ge=1, le=10)  # papers per daily DM
    lookback_days: int = Field(2, ge=0, le=14)  # "new": listed today or in the days before


class OpsSettings(Section):
    """``/healthz``, ``/livez`` and ``/metrics`` of the long-running processes (port 0 = off)."""

    host: str = "127.0.0.1"
    slack_port: int = Field(9101, ge=0, le=65535)
    discord_port: int = Field(9102, ge=0, le=65535)
    scheduler_port: int = Field(9103, ge=0, le=65535)


class Settings(BaseSettings):
    """All of Paperboy's settings. Built once at start-up and passed to constructors."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERBOY_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Path(".paperboy")
    demo_corpus: bool = True
    log_level: str = "INFO"
    # the state database: unset = SQLite in data_dir (one host); postgresql://user:pw@host/db
    # for processes on several hosts (the password is a secret: never logged or shown)
    state_url: SecretStr | None = None
    # paging tokens, answers, feedback and seen events older than this are pruned daily
    state_retention_days: int = Field(90, ge=1)
    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)

    @field_validator("state_url")
    @classmethod
    def _state_url_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            scheme = value.get_secret_value().split("://", 1)[0].split("+", 1)[0]
            if scheme not in ("postgresql", "postgres", "sqlite"):
                raise ValueError(
                    "must be a postgresql://user:password@host:port/db (or sqlite:///path) URL"
                )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: constructor > env > config.toml > defaults."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_path = os.environ.get(CONFIG_ENV)
        if config_path:
            path = Path(config_path)
            if not path.is_file():
                raise FileNotFoundError(f"{CONFIG_ENV} points at {path}, which is not a file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def store_description(self) -> str:
        """Where the papers are, in words for messages: the Chroma server or the embedded dir."""
        store = self.store
        if store.chroma_host:
            return f"Chroma server {store.chroma_host}:{store.chroma_port}"
        return f"embedded store {self.data_dir / 'chroma'}"

    @property
    def state_path(self) -> Path:
        """The SQLite file holding bot state and the digest ledger (when ``state_url`` is unset)."""
        return self.data_dir / "state.sqlite3"

    @property
    def state_target(self) -> str | Path:
        """The state database: the ``state_url`` (PostgreSQL) or the SQLite file in data_dir."""
        return self.state_url.get_secret_value() if self.state_url else self.state_path
