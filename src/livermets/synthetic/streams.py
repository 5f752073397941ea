"""Seedable random streams over the rows of a polars frame, without numpy.

Every random number is a SplitMix64 hash of (row key, stream name, seed), computed with
wrapping 64-bit integer arithmetic, so the random bits depend only on the seed and the row --
not on the machine, thread count or polars version (values shaped through floating-point
``log``/``pow`` could at most differ in a last bit between maths libraries) -- and the first
rows of a frame get the same numbers whatever its length.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
CHILD_STRIDE = 1 << 12  # child key = case index * stride + position within the case


def _mix(x: int) -> int:
    """SplitMix64 finaliser in Python (for stream salts)."""
    x &= _M64
    x = ((x ^ (x >> 30)) * _MIX1) & _M64
    x = ((x ^ (x >> 27)) * _MIX2) & _M64
    return x ^ (x >> 31)


def _u64(value: int) -> pl.Expr:
    return pl.lit(value & _M64, dtype=pl.UInt64)


class Random:
    """Independent uniform streams over the rows of a frame, named by strings.

    The frame first gets a well-mixed 64-bit hash of its row key (:meth:`row_hash`, full
    SplitMix64); each named stream then re-mixes that hash with its own salt (one
    xorshift-multiply round). Everything is wrapping UInt64 arithmetic, so the values depend
    only on (seed, key, name).
    """

    def __init__(self, seed: int, key: str = "_idx", column: str = "_h") -> None:
        self._seed = _mix(seed * 0xD1B54A32D192ED03 + 0x2545F4914F6CDD1D)
        self._key = key
        self._column = column

    def row_hash(self) -> pl.Expr:
        x = pl.col(self._key) * _u64(_GOLDEN) + _u64(self._seed)
        x = x.xor(x // _u64(1 << 30)) * _u64(_MIX1)
        x = x.xor(x // _u64(1 << 27)) * _u64(_MIX2)
        return x.xor(x // _u64(1 << 31)).alias(self._column)

    def u(self, name: str) -> pl.Expr:
        """Uniform on (0, 1), never exactly 0 or 1."""
        salt = _mix(self._seed ^ _mix(zlib.crc32(name.encode())))
        x = pl.col(self._column).xor(_u64(salt)) * _u64(_MIX1)
        x = x.xor(x // _u64(1 << 32)) * _u64(_MIX2)
        return ((x // _u64(1 << 11)).cast(pl.Float64) + 0.5) * (2.0**-53)

    def chance(self, name: str, p: float | pl.Expr) -> pl.Expr:
        return self.u(name) < p

    def normal(self, name: str, mean: float | pl.Expr = 0.0, sd: float | pl.Expr = 1.0) -> pl.Expr:
        """Approximately normal from one uniform (Tukey lambda, lambda = 0.14; |z| < 4.9)."""
        u = self.u(name)
        return mean + sd * (4.91 * (u.pow(0.14) - (1.0 - u).pow(0.14)))

    def lognormal(self, name: str, median: float | pl.Expr, sigma: float) -> pl.Expr:
        return median * self.normal(name, 0.0, sigma).exp()

    def uniform(self, name: str, low: float | pl.Expr, high: float | pl.Expr) -> pl.Expr:
        return low + (high - low) * self.u(name)

    def geometric(self, name: str, p: float) -> pl.Expr:
        """1, 2, 3, ... with P(k) = p (1-p)^(k-1)."""
        return (self.u(name).log() / math.log1p(-p)).floor().cast(pl.Int64) + 1

    def choice(self, name: str, weights: Mapping[Any, float]) -> pl.Expr:
        return pick(self.u(name), weights)

    def missing(self, name: str, expr: pl.Expr, rate: float | pl.Expr) -> pl.Expr:
        """``expr``, or null (unknown) at the given rate."""
        return pl.when(self.u("missing:" + name) >= rate).then(expr)


def pick(u: pl.Expr, weights: Mapping[Any, float]) -> pl.Expr:
    """A categorical draw from one uniform: values with the given relative weights.

    Strings come back as an Enum (cheap to compare; cast to String on output).
    """
    items = [(k, w) for k, w in weights.items() if w > 0]
    total = sum(w for _, w in items)
    index: pl.Expr = pl.lit(0, dtype=pl.UInt32)
    cumulative = 0.0
    for _, weight in items[:-1]:
        cumulative += weight / total
        index = index + (u >= cumulative).cast(pl.UInt32)
    return table([k for k, _ in items]).gather(index)


def table(values: Sequence[Any]) -> pl.Expr:
    """A literal column to ``gather`` from."""
    if all(isinstance(v, str) for v in values):
        return pl.lit(pl.Series(values, dtype=pl.Enum(list(dict.fromkeys(values)))))
    if all(isinstance(v, bool) for v in values):
        return pl.lit(pl.Series(values, dtype=pl.Boolean))
    if all(isinstance(v, int) for v in values):
        return pl.lit(pl.Series(values, dtype=pl.Int64))
    return pl.lit(pl.Series(values, dtype=pl.Float64))


def either(condition: pl.Expr, yes: str, no: str) -> pl.Expr:
    """``yes`` where the condition holds, else ``no`` (an Enum; null stays null)."""
    return table([no, yes]).gather(condition.cast(pl.UInt32))
