"""``paperboy discord`` is registered and refuses to start without a token."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app


def test_discord_command_needs_a_token(monkeypatch, tmp_path):
    monkeypatch.delenv("PAPERBOY_DISCORD__TOKEN", raising=False)
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    monkeypatch.setenv("PAPERBOY_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["discord", "--no-scheduler"])
    assert result.exit_code == 2
    assert "PAPERBOY_DISCORD__TOKEN" in result.output
    assert not list(tmp_path.iterdir()), "nothing is built before the token check"


def test_discord_command_is_listed_in_help():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "discord" in result.output
