"""No secret in "Invalid configuration": the CLI as a user runs it, with a config file and with
environment variables holding a token in the wrong place."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

SECRET = "xoxb-123456789012-SECRETSECRET"


@pytest.fixture
def env(monkeypatch, tmp_path):
    for name in ("PAPERBOY_CONFIG", "PAPERBOY_SLACK__BOT_TOKEN", "PAPERBOY_DISCORD__TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERBOY_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("config", "where"),
    [
        (f'[slak]\nbot_token = "{SECRET}"\n', "slak"),
        (f'slack_bot_token = "{SECRET}"\n[slack]\nmode = "socket"\n', "slack_bot_token"),
        (f'[slack]\nbot_tokn = "{SECRET}"\n', "slack.bot_tokn"),
        (f'[discord]\nguild_ids = "{SECRET}"\n', "discord.guild_ids"),
    ],
)
@pytest.mark.parametrize("command", [["status"], ["ask", "attention"], ["scheduler"]])
def test_a_misplaced_token_in_the_config_file_is_never_printed(
    env, tmp_path, config, where, command
):
    path = tmp_path / "config.toml"
    path.write_text(config)
    env.setenv("PAPERBOY_CONFIG", str(path))
    done = _run(*command)
    assert done.exit_code == 2
    assert "Invalid configuration" in done.output and where in done.output
    assert "xoxb" not in done.output and "SECRET" not in done.output


def test_a_token_in_a_wrongly_typed_env_var_is_never_printed(env):
    env.setenv("PAPERBOY_SLACK__HTTP_PORT", SECRET)
    env.setenv("PAPERBOY_DISCORD__GUILD_IDS", f'["{SECRET}"]')
    done = _run("status")
    assert done.exit_code == 2
    assert "slack.http_port" in done.output and "discord.guild_ids" in done.output
    assert "xoxb" not in done.output and "SECRET" not in done.output


def test_the_problem_is_still_explained(env, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[search]\nresults_per_page = "many"\n')
    env.setenv("PAPERBOY_CONFIG", str(path))
    done = _run("status")
    assert done.exit_code == 2
    assert "search.results_per_page" in done.output and "valid integer" in done.output
