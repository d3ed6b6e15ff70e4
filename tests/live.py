"""Run the real app under gunicorn for tests that need a server (browser, concurrency)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask_command(*args: str, env: dict) -> str:
    """Run ``flask --app wsgi ARGS`` against the server's database; return its output."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


@dataclass
class LiveServer:
    """A running gunicorn: its base URL, and the environment its workers were given."""

    url: str
    env: dict
    log: object = None  # the file gunicorn and its workers write to

    def flask(self, *args: str) -> str:
        """Run a ``flask --app wsgi`` command against the server's database."""
        return flask_command(*args, env=self.env)

    def output(self) -> str:
        """Everything gunicorn and the app wrote so far (read without moving its offset)."""
        descriptor = self.log.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")


@contextmanager
def live_server(
    database_url: str,
    workers: int = 2,
    seed: bool = True,
    port: int | None = None,
    prepare: bool = True,
    **config,
):
    """Serve the app with gunicorn on ``port`` (a free one by default); yield a ``LiveServer``.

    ``config`` items become ``FLASK_*`` environment variables, as in a deployment.
    ``prepare=False`` serves the database as it is (no ``seed-demo`` or ``init-db`` first).
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_SECRET_KEY": "live-test-secret",
        **{f"FLASK_{key}": str(value) for key, value in config.items()},
    }
    if prepare:
        flask_command("seed-demo" if seed else "init-db", env=env)
    port = port or free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, server, log)
            yield LiveServer(url, env, log)
        finally:
            server.terminate()
            server.wait(timeout=15)


def _wait_until_up(url: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError("gunicorn exited:\n" + log.read().decode(errors="replace"))
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 30 s")
