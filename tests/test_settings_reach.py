"""Settings reach the commands that must use them (they used to be dropped on the way)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli import app


def test_reindex_uses_chroma_ssl(demo_chroma, tmp_path, monkeypatch):
    """With ``store.chroma_ssl`` on, ``reindex`` speaks TLS to the server: against this
    plain-HTTP ``chroma run`` that must fail, and without the flag it must work."""
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    env = {
        "PAPERBOY_DATA_DIR": str(tmp_path / "data"),
        "PAPERBOY_DEMO_CORPUS": "false",
        "PAPERBOY_STORE__CHROMA_HOST": "127.0.0.1",
        "PAPERBOY_STORE__CHROMA_PORT": str(demo_chroma.port),
    }
    plain = CliRunner().invoke(app, ["reindex"], env=env)
    assert plain.exit_code == 0, plain.output
    tls = CliRunner().invoke(app, ["reindex"], env={**env, "PAPERBOY_STORE__CHROMA_SSL": "true"})
    assert tls.exit_code == 1 and "Cannot open the paper store" in tls.output
    assert "Traceback" not in tls.output
    status = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert json.loads(status.stdout)["store"]["backend"] == "server"
