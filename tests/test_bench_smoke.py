"""The benchmark's smoke run: a tiny data set and a few hundred requests, so it cannot rot."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.live import ROOT


def test_benchmark_smoke_run_prints_the_table_and_counts_every_view(tmp_path):
    if not shutil.which("ab"):
        if os.environ.get("CI") == "true":
            pytest.fail("ab is missing: `make system-deps` installs apache2-utils")
        pytest.skip("ApacheBench (ab) is not installed: apt-get install apache2-utils")
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

    tables = re.findall(r"^== (\w+): 300 articles", result.stdout, re.M)
    assert tables == (["sqlite", "postgresql"] if os.environ.get("DATABASE_URL") else ["sqlite"])
    assert re.search(r"^scenario\s+req/s\s+p50 ms\s+p99 ms\s+hello/s\s+ratio", result.stdout, re.M)
    article_rows = re.findall(
        r"^article page\s+\d+.*×\s+(\w+): \+(\d+) for (\d+) ok", result.stdout, re.M
    )
    assert article_rows and all(
        verdict == "PASS" and counted == ok == "200" for verdict, counted, ok in article_rows
    ), result.stdout
    assert "FAIL" not in result.stdout
    (report,) = tmp_path.glob("*.json")
    runs = json.loads(report.read_text())["runs"]
    assert [run["database"] for run in runs] == tables
    assert all(run["memory_mb"]["app"] and run["memory_mb"]["hello"] for run in runs)
