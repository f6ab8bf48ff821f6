"""A real PostgreSQL server for tests: ``initdb`` into a temporary folder, ``pg_ctl start`` on a
free loopback port, trust authentication, stopped (and removed) at the end.

The server binaries come from the machine's PostgreSQL package (``.ci/run`` installs Debian's
``postgresql`` when they are missing). PostgreSQL refuses to run as root, so as root the server
runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    """The path of a PostgreSQL server binary (``initdb``, ``pg_ctl``), newest version first."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    path = found[0] if found else shutil.which(name)
    if not path:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed: `apt-get install postgresql` (.ci/run does)"
        )
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One throw-away PostgreSQL cluster; :attr:`url` is a SQLAlchemy URL for its database."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="paperboy-pg-"))
        self.data = self.root / "pgdata"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        """``postgresql+psycopg://paperboy@127.0.0.1:<port>/paperboy``."""
        return f"postgresql+psycopg://paperboy@127.0.0.1:{self.port}/paperboy"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        """Create the cluster (first time) and start the server; waits until it accepts."""
        if self._as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.root.chmod(0o700)
        first = not self.data.exists()
        if first:
            self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "paperboy",
                      "--no-sync", "-E", "UTF8")  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")  # fmt: skip
        if first:
            self._run(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "paperboy",
                      "paperboy")  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown); the cluster stays for :meth:`start` again."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        """Stop the server if it runs and remove its files."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
