"""The ops endpoint (``/healthz``, ``/livez``, ``/metrics``) and ``paperboy health``, over HTTP."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest
from typer.testing import CliRunner

from bot.chat.reply import ChatRequest
from bot.cli import app
from bot.ops.server import CheckResult, OpsServer, state_check, store_check
from bot.services import build_services
from bot.settings import Settings


@pytest.fixture
def services(demo_index_dir, embedder, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", demo_corpus=False)
    shutil.copytree(demo_index_dir, settings.data_dir)
    built = build_services(settings, embedder=embedder)
    yield built
    built.close()


class Switch:
    """A readiness check the test turns on and off."""

    def __init__(self) -> None:
        self.ok = True

    async def __call__(self) -> CheckResult:
        return CheckResult(self.ok, "platform connected" if self.ok else "platform gone")


async def test_healthz_follows_its_checks_and_metrics_count_answers(services) -> None:
    ops = OpsServer(services.metrics, "127.0.0.1", 0)
    where = services.settings.store_description
    ops.set_check("store", store_check(services.index.store, where))
    ops.set_check("state", state_check(services.state.db))
    platform = Switch()
    ops.set_check("platform", platform)
    port = await ops.start()
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            ready = await http.get(f"{base}/healthz")
            assert ready.status_code == 200 and ready.json()["ready"] is True
            assert ready.json()["checks"]["store"]["detail"] == f"{where} answers"
            assert where.startswith("embedded store ")

            platform.ok = False
            down = await http.get(f"{base}/healthz")
            assert down.status_code == 503
            assert down.json()["checks"]["platform"] == {"ok": False, "detail": "platform gone"}
            assert (await http.get(f"{base}/livez")).status_code == 200  # alive, not ready

            async def broken() -> CheckResult:
                raise RuntimeError("boom")

            platform.ok = True
            ops.set_check("platform", broken)
            failed = (await http.get(f"{base}/healthz")).json()
            assert failed["ready"] is False and "boom" in failed["checks"]["platform"]["detail"]

            router = services.router
            for text in ("fast FFT-based attention papers", "help", "similar not-a-paper"):
                request = ChatRequest(text=text, platform="slack", channel_id="C1", user_id="U1")
                await asyncio.to_thread(router.handle, request)
            metrics = (await http.get(f"{base}/metrics")).text
    finally:
        await ops.stop()
    assert 'paperboy_questions_total{kind="results",platform="slack"} 1.0' in metrics
    assert 'paperboy_questions_total{kind="help",platform="slack"} 1.0' in metrics
    assert 'paperboy_questions_total{kind="error",platform="slack"} 1.0' in metrics
    assert 'paperboy_answer_seconds_count{platform="slack"} 3.0' in metrics


async def test_paperboy_health_exits_by_readiness(services) -> None:
    ops = OpsServer(services.metrics, "127.0.0.1", 0)
    platform = Switch()
    ops.set_check("platform", platform)
    port = await ops.start()

    def health(*args: str):
        return CliRunner().invoke(app, ["health", *args], env={"PAPERBOY_DEMO_CORPUS": "false"})

    try:
        ok = await asyncio.to_thread(health, "--port", str(port))
        assert ok.exit_code == 0 and "ready" in ok.output and "platform connected" in ok.output
        platform.ok = False
        bad = await asyncio.to_thread(health, "--port", str(port))
        assert bad.exit_code == 1 and "not ready (503)" in bad.output
    finally:
        await ops.stop()
    gone = await asyncio.to_thread(health, "--port", str(port))
    assert gone.exit_code == 1 and "nothing answers" in gone.output
