"""Estimates across replications: a mean and its 95% confidence interval (Student's t),
and the difference of two scenarios' means (Welch's t), which says when it is noise."""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

# Student's t, two-sided 95% (the 0.975 quantile), by degrees of freedom; between two
# rows it is interpolated in 1/df, which is within 0.1% of the exact value.
_T975 = (
    (1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (6, 2.447), (7, 2.365),
    (8, 2.306), (9, 2.262), (10, 2.228), (11, 2.201), (12, 2.179), (13, 2.160),
    (14, 2.145), (15, 2.131), (16, 2.120), (17, 2.110), (18, 2.101), (19, 2.093),
    (20, 2.086), (21, 2.080), (22, 2.074), (23, 2.069), (24, 2.064), (25, 2.060),
    (26, 2.056), (27, 2.052), (28, 2.048), (29, 2.045), (30, 2.042), (40, 2.021),
    (60, 2.000), (120, 1.980), (math.inf, 1.960),
)  # fmt: skip


def t975(df: float) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (``df`` >= 1)."""
    dfs = [row[0] for row in _T975]
    i = bisect_left(dfs, df)
    if i < len(dfs) and dfs[i] == df:
        return _T975[i][1]
    (d0, t0), (d1, t1) = _T975[i - 1], _T975[i]
    x0, x1, x = 1 / d0, (0.0 if math.isinf(d1) else 1 / d1), 1 / df
    return t0 + (t1 - t0) * (x - x0) / (x1 - x0)


@dataclass(frozen=True)
class Estimate:
    """A measure's mean over the replications that had it, and the half-width of its 95%
    confidence interval (None with fewer than two replications)."""

    mean: float
    half_width: float | None
    replications: int

    @property
    def low(self) -> float | None:
        """The interval's lower end."""
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        """The interval's upper end."""
        return None if self.half_width is None else self.mean + self.half_width

    def as_dict(self) -> dict[str, float | int | None]:
        """For JSON: the mean, the interval's ends, and how many replications it rests on."""
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "replications": self.replications,
        }


def estimate(values: Sequence[float]) -> Estimate | None:
    """The estimate from one value per replication (None when no replication had one)."""
    if not values:
        return None
    mean = statistics.fmean(values)
    if len(values) < 2:
        return Estimate(mean, None, len(values))
    sd = statistics.stdev(values)
    return Estimate(mean, t975(len(values) - 1) * sd / math.sqrt(len(values)), len(values))


@dataclass(frozen=True)
class Difference:
    """``other`` minus ``base``, with a 95% interval (Welch); ``noise`` when the interval
    holds 0: the scenarios do not differ beyond what chance gives."""

    delta: float
    half_width: float | None

    @property
    def noise(self) -> bool:
        """Whether the difference is within the noise."""
        return self.half_width is None or abs(self.delta) <= self.half_width

    def as_dict(self) -> dict[str, float | bool | None]:
        """For JSON."""
        return {"delta": self.delta, "half_width": self.half_width, "noise": self.noise}


def difference(base: Sequence[float], other: Sequence[float]) -> Difference | None:
    """The difference of two sets of replications' values (None if either has none)."""
    if not base or not other:
        return None
    delta = statistics.fmean(other) - statistics.fmean(base)
    if len(base) < 2 or len(other) < 2:
        return Difference(delta, None)
    v1, v2 = statistics.variance(base) / len(base), statistics.variance(other) / len(other)
    if v1 + v2 == 0:
        return Difference(delta, 0.0)
    df = (v1 + v2) ** 2 / (v1**2 / (len(base) - 1) + v2**2 / (len(other) - 1))
    return Difference(delta, t975(max(df, 1.0)) * math.sqrt(v1 + v2))
