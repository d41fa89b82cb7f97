"""Is a change in public satisfaction real? Significance tests on per-respondent IKM scores.

The IKM of one response is the mean of its 9 answers (1-4) x 25 (range 25-100); the IKM of a group
of responses is the mean of those scores, which equals PermenPANRB 14/2017's mean of the element
means x 25 (kinerja_admin.rating.ikm) when every response answers all 9 elements, as ours do.

Two tests from scipy (scipy.stats), both two-sided, both always reported with n and p:

* Welch's t-test (``ttest_ind(..., equal_var=False)``): difference of means, no equal-variance
  assumption;
* Mann-Whitney U (``mannwhitneyu(..., alternative="two-sided")``): rank-based, no normality
  assumption (exact p for small samples without ties, else the normal approximation).

The verdict uses the test named by the setting ``planning.test`` (``welch`` by default) and the
level ``planning.alpha`` (0.05): p < alpha is "signifikan", p >= alpha is "tidak signifikan"; the
comparison is made on Decimals. With fewer than 2 responses on a side, or no variation at all, the
change "tidak dapat diuji".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from kinerja_admin.rating.ikm import round_half_up

TESTS = {"welch": "uji t Welch", "mannwhitney": "uji Mann-Whitney U"}
DEFAULT_ALPHA = Decimal("0.05")


def respondent_score(answers) -> Fraction:
    """IKM of one response: mean of its answers x 25 (exact)."""
    answers = [int(a) for a in answers]
    return Fraction(sum(answers), len(answers)) * 25


def _mean(values: list[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


def _p(value) -> Decimal | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return None
    return Decimal(repr(value))


@dataclass
class Comparison:
    n_before: int
    n_after: int
    ikm_before: Decimal | None
    ikm_after: Decimal | None
    change: Decimal | None  # IKM points, after - before
    change_pct: Decimal | None  # relative to before, %
    welch_t: Decimal | None
    welch_p: Decimal | None
    mw_u: Decimal | None
    mw_p: Decimal | None
    test: str
    alpha: Decimal

    @property
    def p(self) -> Decimal | None:
        return self.welch_p if self.test == "welch" else self.mw_p

    @property
    def testable(self) -> bool:
        return self.p is not None

    @property
    def significant(self) -> bool | None:
        """True when p < alpha, False when p >= alpha, None when it cannot be tested."""
        return None if self.p is None else self.p < self.alpha

    @property
    def direction(self) -> str:
        if self.change is None or self.change == 0:
            return "tetap"
        return "naik" if self.change > 0 else "turun"

    @property
    def verdict(self) -> str:
        if self.significant is None:
            return "tidak dapat diuji"
        if not self.significant:
            return "tidak signifikan"
        return f"{self.direction} signifikan"

    @property
    def test_label(self) -> str:
        return TESTS.get(self.test, self.test)

    def p_text(self) -> str:
        """p for people: 'p < 0,001' below a thousandth, else three decimals with a decimal comma."""
        p = self.p
        if p is None:
            return "-"
        if p < Decimal("0.001"):
            return "p < 0,001"
        return "p = " + f"{p.quantize(Decimal('0.001'))}".replace(".", ",")

    def sentence(self) -> str:
        """One honest Indonesian sentence: the change, n on both sides, the test and p."""
        if self.ikm_before is None or self.ikm_after is None:
            return "Belum ada cukup data survei sebelum dan sesudah untuk dibandingkan."
        before = f"{self.ikm_before}".replace(".", ",")
        after = f"{self.ikm_after}".replace(".", ",")
        change = f"{abs(self.change)}".replace(".", ",")
        head = (f"IKM {self.direction} {change} poin, dari {before} (n = {self.n_before}) menjadi {after} "
                f"(n = {self.n_after})" if self.direction != "tetap" else
                f"IKM tetap {after} (n = {self.n_before} dan {self.n_after})")
        if self.significant is None:
            return f"{head}; perubahan tidak dapat diuji (responden terlalu sedikit atau tanpa variasi)."
        verdict = "signifikan" if self.significant else "tidak signifikan"
        alpha = f"{self.alpha}".replace(".", ",")
        return f"{head}; {verdict} menurut {self.test_label} ({self.p_text()}, batas {alpha})."


def compare(before: list, after: list, *, alpha: Decimal = DEFAULT_ALPHA, test: str = "welch") -> Comparison:
    """Compare two samples of per-respondent IKM scores (Fractions or numbers)."""
    from scipy import stats

    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}")
    before = [Fraction(v) if not isinstance(v, Fraction) else v for v in before]
    after = [Fraction(v) if not isinstance(v, Fraction) else v for v in after]
    mb, ma = _mean(before), _mean(after)
    ikm_b = round_half_up(mb, 2) if mb is not None else None
    ikm_a = round_half_up(ma, 2) if ma is not None else None
    change = pct = None
    if mb is not None and ma is not None:
        change = round_half_up(ma - mb, 2)
        pct = round_half_up((ma - mb) / mb * 100, 2) if mb else None
    welch_t = welch_p = mw_u = mw_p = None
    if len(before) >= 2 and len(after) >= 2:
        fb, fa = [float(v) for v in before], [float(v) for v in after]
        varied = len(set(fb)) > 1 or len(set(fa)) > 1
        if varied:
            res = stats.ttest_ind(fa, fb, equal_var=False)
            welch_t, welch_p = _p(res.statistic), _p(res.pvalue)
        if varied or fb[0] != fa[0]:
            res = stats.mannwhitneyu(fa, fb, alternative="two-sided")
            mw_u, mw_p = _p(res.statistic), _p(res.pvalue)
    return Comparison(len(before), len(after), ikm_b, ikm_a, change, pct, welch_t, welch_p, mw_u, mw_p, test,
                      Decimal(str(alpha)))


def settings(session) -> tuple[Decimal, str]:
    """(alpha, test) from the instance settings."""
    from kinerja_admin.settings import get_setting

    alpha = Decimal(str(get_setting("planning.alpha", session)))
    test = str(get_setting("planning.test", session)).strip().lower()
    return alpha, (test if test in TESTS else "welch")
