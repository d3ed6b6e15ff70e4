"""Lighthouse scores of the home, section, article, search and site-map pages (`make lighthouse`).

Starts the app under gunicorn on a scratch SQLite database with the demo content, runs
Lighthouse from npm with Debian's Chromium, prints a table and fails below 95. The suite
runs the same check (tests/browser/test_lighthouse.py).
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.judges import (  # noqa: E402
    LIGHTHOUSE_CATEGORIES,
    LIGHTHOUSE_TARGET,
    lighthouse_below_target,
)
from tests.live import live_server  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{Path(folder) / 'lighthouse.db'}"
        with live_server(database) as server:
            results, low = lighthouse_below_target(server.url, Path(folder))
    print(f"{'page':<10}" + "".join(f"{c:>16}" for c in LIGHTHOUSE_CATEGORIES))
    for name, row in results.items():
        print(f"{name:<10}" + "".join(f"{row[c]:>16}" for c in LIGHTHOUSE_CATEGORIES))
    if low:
        print(f"below {LIGHTHOUSE_TARGET}: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
