"""Lighthouse keeps every public page type at 95 or more in all four categories."""

from tests.browser.judges import LIGHTHOUSE_TARGET, lighthouse_below_target


def test_lighthouse_scores_every_page_type_at_least_the_target(site, tmp_path):
    results, low = lighthouse_below_target(site, tmp_path)
    assert not low, f"below {LIGHTHOUSE_TARGET}: {low}; all scores: {results}"
