"""A study's statistics against scipy's own on fixed samples (app.studies.stats)."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from app.arch.claims import EDGE_CLAIMS, FIGURE_MODELS, claim_for
from app.arch.presets import of_scale
from app.studies.stats import compare, summary

A = [2.5, 3.1, 4.4]
B = [1.9, 2.0, 2.2, 2.4]


def test_summary_is_the_mean_sample_std_and_t_interval() -> None:
    s = summary(A)
    assert s.n == 3 and s.mean == pytest.approx(sum(A) / 3)
    assert s.std == pytest.approx(scipy_stats.tstd(A))
    low, high = scipy_stats.t.interval(0.95, len(A) - 1, loc=s.mean, scale=scipy_stats.sem(A))
    assert s.ci95 == pytest.approx((low, high))
    assert summary([7.0]).ci95 is None and summary([7.0]).mean == 7.0 and summary([]).mean is None


def test_welch_against_scipy() -> None:
    c = compare(A, B)
    expected = scipy_stats.ttest_ind(B, A, equal_var=False)
    assert c.p_value == pytest.approx(expected.pvalue)
    assert c.difference == pytest.approx(sum(B) / 4 - sum(A) / 3)
    interval = expected.confidence_interval(0.95)  # Welch's interval of mean(B) - mean(A)
    assert c.ci95 == pytest.approx((interval.low, interval.high))
    assert c.verdict == ("better" if expected.pvalue < 0.05 else "within noise")


def test_verdicts() -> None:
    clearly_lower = [1.0, 1.1, 0.9]
    clearly_higher = [9.0, 9.2, 8.8]
    assert compare(clearly_higher, clearly_lower).verdict == "better"
    assert compare(clearly_lower, clearly_higher).verdict == "worse"
    noisy = compare([2.0, 8.0, 5.0], [3.0, 6.0, 4.5])
    assert noisy.verdict == "within noise" and noisy.p_value > 0.05
    assert noisy.ci95[0] < 0 < noisy.ci95[1]  # the interval covers no difference
    # constant samples: scipy's t is undefined; the difference is exact
    assert compare([2.0, 2.0], [2.0, 2.0]).p_value == 1.0
    assert compare([2.0, 2.0], [1.0, 1.0]).verdict == "better"
    one = compare([2.0], [1.0, 1.5])
    assert one.verdict is None and one.p_value is None and one.difference == pytest.approx(-0.75)
    assert math.isclose(compare([], [1.0]).difference or 0, 0) and compare([], [1.0]).verdict is None


def test_every_claim_is_quoted_paraphrased_or_not_recovered() -> None:
    models = {p.model for p in of_scale("s36")}
    for (source, target), claim in EDGE_CLAIMS.items():
        assert {source, target} <= models
        assert claim.basis in ("quoted", "paraphrased", "not recovered")
        assert (claim.expects is None) == (claim.basis == "not recovered")
    assert all(set(members) <= models for members in FIGURE_MODELS.values())
    assert claim_for("A", "B", 1, {"depth": "up"}).expects == "better"
    assert claim_for(None, None, 3, {}).basis == "not recovered"
    assert claim_for(None, None, None, {"stride/pooling": "delayed"}).expects == "better"
