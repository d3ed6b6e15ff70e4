"""The benchmark's smoke run: a tiny data set and a few hundred requests, so it cannot rot."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from bench.run import SCENARIOS, SIZES
from tests.live import ROOT


def test_benchmark_smoke_run_measures_every_scenario_in_rounds_and_counts_exactly(tmp_path):
    if not shutil.which("ab"):
        if os.environ.get("CI") == "true":
            pytest.fail("ab is missing: `make system-deps` installs apache2-utils")
        pytest.skip("ApacheBench (ab) is not installed: apt-get install apache2-utils")
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = result.stdout
    assert result.returncode == 0, output + result.stderr

    tables = re.findall(r"^== (\w+): 300 articles.*medians of (\d) rounds ==$", output, re.M)
    databases = ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL") else ["sqlite"]
    _, _, requests, rounds = SIZES["smoke"]
    assert tables == [(name, str(rounds)) for name in databases], output
    assert re.search(r"^scenario\s+req/s\s+p50 ms\s+p99 ms\s+hello/s\s+ratio", output, re.M)
    assert "FAIL" not in output
    (report,) = tmp_path.glob("*.json")
    saved = json.loads(report.read_text())
    assert saved["rounds"] == rounds
    runs = saved["runs"]
    assert [run["database"] for run in runs] == databases
    for run, table in zip(runs, output.split("\n== ")[1:], strict=True):
        # Every scenario bench/run.py defines, in its order: measured, or said why not.
        assert [r["key"] for r in run["results"]] == list(SCENARIOS), run["database"]
        for scenario in run["results"]:
            label = re.escape(scenario["label"])
            if scenario["note"].startswith("not available: "):
                assert not scenario["rounds"]
                assert re.search(rf"^{label}\s+not available: ", table, re.M), scenario
                continue
            assert re.search(rf"^{label}\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+×", table, re.M), (
                scenario["key"], table
            )  # fmt: skip
            assert len(scenario["rounds"]) == rounds, scenario["key"]
            for measured in scenario["rounds"]:
                # Every answer as expected (2xx, or 304 for the revalidation) in every round.
                assert measured["app"]["sent"] == measured["app"]["ok"] == requests, scenario
                assert measured["app"]["cpu_ms"] > 0
            low, high = scenario["ratio_range"]
            assert low <= scenario["ratio"] <= high
        counted = {r["key"]: r for r in run["results"] if r["check"]}
        assert {"article", "consult"} <= set(counted), run["database"]
        for scenario in counted.values():  # views and messages: exact in every round
            assert scenario["check"] == "PASS"
            assert [r["counted"] for r in scenario["rounds"]] == [requests] * rounds, scenario
            row = rf"^{re.escape(scenario['label'])}\s.*PASS: " + ", ".join(
                [rf"\+{requests}/{requests}"] * rounds
            )
            assert re.search(row, table, re.M), table
        assert len(run["memory_mb"]["app"]) == len(run["memory_mb"]["hello"]) > 0
