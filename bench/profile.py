"""Profile one benchmark scenario: where the gunicorn workers spend their time under load.

Usage: ``.venv/bin/pip install py-spy`` once (a tool, not a dependency of the project), then
``.venv/bin/python bench/profile.py SCENARIO [--seconds 8] [--smoke] [--raw FILE]``.

Builds the benchmark's data set on SQLite (or DATABASE_URL, emptied), serves the app as
bench/run.py does, loads it with ``ab`` at 16 connections and samples both workers with
py-spy meanwhile. Prints the share of samples spent in each frame of the project's code and
in the library calls that matter for a page (inclusive), then the package each sample's
innermost frame belongs to (where the CPU really went).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dataset import fill  # noqa: E402
from bench.run import (  # noqa: E402
    APP_CONFIG,
    BIN,
    SIZES,
    ab,
    database_runs,
    gunicorn,
    scenarios,
)
from tests.live import flask_command  # noqa: E402

LIBRARY_CALLS = (  # library entry points worth seeing next to the project's own frames
    "render_template", "SQLAlchemy.paginate", "SelectPagination._query_count",
    "SelectPagination._query_items", "Session.execute", "Session.commit",
    "DefaultDialect.do_execute", "Compress.after_request", "save_session", "Flask.url_for",
    "Logger.access", "close_graceful", "SyncWorker.handle_request",
)  # fmt: skip
FRAME = re.compile(r"^(?P<name>.+) \((?P<file>[^:()]+)(?::\d+)?\)$")


def frames(stack: str) -> list[tuple[str, str]]:
    """``(function, file)`` of each frame of a py-spy raw stack, outermost first."""
    found = []
    for frame in stack.split(";"):
        if match := FRAME.match(frame):
            found.append((match["name"], match["file"]))
    return found


def summary(raw: str, top: int = 30) -> str:
    """Inclusive shares of the interesting frames, and self time by package."""
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        samples, stack_frames = int(count), frames(stack)
        total += samples
        if not stack_frames:
            continue
        names = set()
        for name, file in stack_frames:
            own = file.startswith(("app/", "templates/")) or file.endswith(".html")
            if own or name in LIBRARY_CALLS:
                names.add(f"{name} ({file})")
        for name in names:
            inclusive[name] += samples
        leaf = stack_frames[-1][1]
        packages[leaf.split("/")[0] if not leaf.endswith(".html") else "templates"] += samples
    lines = [f"{total} samples; inclusive share of the frames of interest:"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["self time by package of the innermost frame:"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in packages.most_common(12)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", help="a scenario key of bench/run.py, e.g. article")
    parser.add_argument("--seconds", type=int, default=8, help="how long to sample")
    parser.add_argument("--smoke", action="store_true", help="the tiny data set")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw samples in this file")
    args = parser.parse_args(argv)
    spy = BIN / "py-spy"
    if not spy.exists():
        print("py-spy is missing: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    articles, messages, *_ = SIZES["smoke" if args.smoke else "full"]
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
        name, url = database_runs(Path(tmp))[-1]
        env = {**os.environ, **APP_CONFIG, "DATABASE_URL": url}
        flask_command("init-db", env=env)
        filled = fill(url, articles, messages)
        with gunicorn("wsgi:app", env) as app:
            chosen = {s.key: s for s in scenarios(app, env, filled)}[args.scenario]
            if chosen.missing:
                print(chosen.missing, file=sys.stderr)
                return 2
            sending = (chosen.form, chosen.cookie, chosen.headers)
            ab(app.url + chosen.path, 300, *sending)  # warm up
            loads = []
            load = threading.Thread(
                target=lambda: loads.append(
                    ab(app.url + chosen.path, 0, *sending, seconds=args.seconds + 2)
                )
            )
            load.start()
            raw = Path(tmp) / "samples.txt"
            subprocess.run(
                [str(spy), "record", "--pid", str(app.pid), "--subprocesses", "--nonblocking",
                 "--format", "raw", "--rate", "250", "--duration", str(args.seconds),
                 "--output", str(raw)],
                check=True, capture_output=True,
            )  # fmt: skip
            load.join()
        text = raw.read_text()
    if args.raw:
        args.raw.write_text(text)
    print(f"{chosen.label} ({chosen.path}) on {name}: {loads[0].rps:.0f} req/s under py-spy")
    print(summary(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
