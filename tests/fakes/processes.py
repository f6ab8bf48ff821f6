"""Real processes for end-to-end tests: a ``chroma run`` server and ``paperboy`` commands.

Nothing here is a fake of Chroma or Paperboy: :class:`ChromaProcess` runs the real Chroma server
on a loopback port (stoppable and restartable on the same port and data path, to test outages),
and :func:`start_paperboy` runs the installed ``paperboy`` CLI as its own OS process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 90, status: int = 200) -> httpx.Response:
    """Poll ``url`` until it answers ``status``; return that response or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == status:
                return response
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer {status} within {timeout}s (last: {last})")


class ChromaProcess:
    """``chroma run`` on ``127.0.0.1:port`` persisting to ``path``; stop() and start() again."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def heartbeat_url(self) -> str:
        """Chroma's heartbeat endpoint."""
        return f"http://127.0.0.1:{self.port}/api/v2/heartbeat"

    def start(self, timeout: float = 60) -> ChromaProcess:
        """Start the server and wait until its heartbeat answers."""
        chroma = shutil.which("chroma") or str(BIN / "chroma")
        self.proc = subprocess.Popen(
            [chroma, "run", "--host", "127.0.0.1", "--port", str(self.port)]
            + ["--path", str(self.path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_http(self.heartbeat_url, timeout)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait until the port is closed."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def paperboy_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``paperboy`` process: offline model, ``data_dir``, and extra
    ``PAPERBOY_*`` settings given as keyword arguments (``STORE__CHROMA_HOST="..."``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERBOY_")}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        PYTHONUNBUFFERED="1",
        PAPERBOY_DATA_DIR=str(data_dir),
        PAPERBOY_DEMO_CORPUS="false",
    )
    env.update({f"PAPERBOY_{key}": value for key, value in settings.items()})
    return env


def start_paperboy(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Run ``paperboy <args>`` as its own process (output to ``log_path``)."""
    exe = shutil.which("paperboy", path=str(BIN)) or shutil.which("paperboy") or "paperboy"
    log = log_path.open("ab")
    return subprocess.Popen(
        [exe, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Send ``sig`` (SIGKILL simulates a crash) and wait; kill if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
