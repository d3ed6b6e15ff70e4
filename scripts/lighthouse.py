"""Lighthouse scores of the home, section, article, search and site-map pages (`make lighthouse`).

Starts the app under gunicorn on a scratch SQLite database with the demo content, runs
Lighthouse from npm with Debian's Chromium, prints a table and fails below 95.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import live_server  # noqa: E402

PAGES = {
    "home": "/",
    "section": "/news/",
    "article": "/articles/1",
    "search": "/search?q=退税",
    "sitemap": "/sitemap.html",
}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
TARGET = 95
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync"
)


def scores(url: str, report: Path) -> dict[str, int]:
    """Run Lighthouse on one URL; return its category scores out of 100."""
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "lighthouse"), url,
            "--quiet", "--output=json", f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}",
        ],
        check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
    )  # fmt: skip
    categories = json.loads(report.read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in CATEGORIES}


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{Path(folder) / 'lighthouse.db'}"
        with live_server(database) as server:
            results = {
                name: scores(server.url + path, Path(folder) / f"{name}.json")
                for name, path in PAGES.items()
            }
    print(f"{'page':<10}" + "".join(f"{c:>16}" for c in CATEGORIES))
    for name, row in results.items():
        print(f"{name:<10}" + "".join(f"{row[c]:>16}" for c in CATEGORIES))
    low = [f"{p} {c}" for p, row in results.items() for c, s in row.items() if s < TARGET]
    if low:
        print(f"below {TARGET}: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
