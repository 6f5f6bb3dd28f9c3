"""Duration and inter-arrival distributions, sampled in buffered batches from numpy generators.

Every distribution draws from its own named stream, seeded from (seed, replication, stream name), so
two models that share a task id, or the arrival process, see the same draws: common random numbers.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from engine.errors import InvalidInput

UNITS = {
    "seconds": 1.0,
    "s": 1.0,
    "minutes": 60.0,
    "min": 60.0,
    "hours": 3600.0,
    "h": 3600.0,
    "working_days": 8 * 3600.0,
    "days": 86400.0,
    "d": 86400.0,
}
KINDS = ("fixed", "uniform", "normal", "lognormal", "gamma", "exponential", "triangular", "histogram")
_BATCH = 2048


class SimulationInputError(InvalidInput):
    """A scenario or a model the simulator cannot use; the message names the element and the fix."""


def _num(spec: Mapping[str, Any], key: str, where: str) -> float:
    try:
        value = float(spec[key])
    except KeyError:
        raise SimulationInputError(
            f"Phân phối tại {where} thiếu tham số '{key}' / distribution at {where} lacks '{key}'."
        ) from None
    except (TypeError, ValueError):
        raise SimulationInputError(f"'{key}' at {where} must be a number.") from None
    if not math.isfinite(value):
        raise SimulationInputError(f"'{key}' at {where} must be finite.")
    return value


class Distribution:
    """A parsed distribution: ``kind``, parameters in seconds, and a batch drawer."""

    def __init__(self, kind: str, params: dict[str, Any], mean: float, draw: Callable) -> None:
        self.kind = kind
        self.params = params
        self.mean = mean  # seconds (before truncation at zero for normal)
        self._draw = draw

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        values = self._draw(rng, n)
        return np.maximum(values, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, **self.params, "unit": "seconds"}

    def __repr__(self) -> str:
        return f"Distribution({self.kind}, {self.params})"


def parse_distribution(spec: Any, where: str, default_unit: str = "minutes") -> Distribution:
    """A distribution from scenario JSON: a number (fixed) or ``{"type": ..., params, "unit": ...}``."""
    if isinstance(spec, bool):
        raise SimulationInputError(f"Distribution at {where} must be a number or an object.")
    if isinstance(spec, int | float):
        spec = {"type": "fixed", "value": spec}
    if not isinstance(spec, Mapping):
        raise SimulationInputError(f"Distribution at {where} must be a number or an object.")
    kind = spec.get("type") or spec.get("distribution")
    unit_name = spec.get("unit", default_unit)
    if unit_name not in UNITS:
        raise SimulationInputError(
            f"Unknown unit {unit_name!r} at {where}; use one of {', '.join(sorted(set(UNITS)))}."
        )
    u = UNITS[unit_name]
    if kind == "fixed":
        v = _num(spec, "value", where) * u
        return Distribution(kind, {"value": v}, v, lambda rng, n: np.full(n, v))
    if kind == "uniform":
        lo, hi = _num(spec, "min", where) * u, _num(spec, "max", where) * u
        if hi < lo:
            raise SimulationInputError(f"uniform at {where}: max < min.")
        return Distribution(
            kind, {"min": lo, "max": hi}, (lo + hi) / 2, lambda rng, n: rng.uniform(lo, hi, n)
        )
    if kind == "normal":
        m, sd = _num(spec, "mean", where) * u, _num(spec, "sd", where) * u
        _positive(sd, "sd", where, allow_zero=True)
        return Distribution(kind, {"mean": m, "sd": sd}, m, lambda rng, n: rng.normal(m, sd, n))
    if kind == "lognormal":
        m, sd = _num(spec, "mean", where) * u, _num(spec, "sd", where) * u
        _positive(m, "mean", where)
        _positive(sd, "sd", where, allow_zero=True)
        sigma2 = math.log(1 + (sd / m) ** 2)
        mu = math.log(m) - sigma2 / 2
        s = math.sqrt(sigma2)
        return Distribution(kind, {"mean": m, "sd": sd}, m, lambda rng, n: rng.lognormal(mu, s, n))
    if kind == "gamma":
        if "shape" in spec:
            k, theta = _num(spec, "shape", where), _num(spec, "scale", where) * u
        else:
            m, sd = _num(spec, "mean", where) * u, _num(spec, "sd", where) * u
            _positive(sd, "sd", where)
            k, theta = (m / sd) ** 2, sd * sd / m
        _positive(k, "shape", where)
        _positive(theta, "scale", where)
        return Distribution(
            kind, {"shape": k, "scale": theta}, k * theta, lambda rng, n: rng.gamma(k, theta, n)
        )
    if kind == "exponential":
        if "rate" in spec:
            rate = _num(spec, "rate", where)
            _positive(rate, "rate", where)
            m = u / rate  # rate per unit
        else:
            m = _num(spec, "mean", where) * u
        _positive(m, "mean", where)
        return Distribution(kind, {"mean": m}, m, lambda rng, n: rng.exponential(m, n))
    if kind == "triangular":
        lo, mode, hi = (_num(spec, k, where) * u for k in ("min", "mode", "max"))
        if not lo <= mode <= hi or lo == hi:
            raise SimulationInputError(f"triangular at {where} needs min <= mode <= max and min < max.")
        return Distribution(
            kind,
            {"min": lo, "mode": mode, "max": hi},
            (lo + mode + hi) / 3,
            lambda rng, n: rng.triangular(lo, mode, hi, n),
        )
    if kind == "histogram":
        return _histogram(spec, where, u)
    raise SimulationInputError(
        f"Unknown distribution {kind!r} at {where}; use one of {', '.join(KINDS)}.",
        fields={where: f"unknown distribution {kind!r}"},
    )


def _positive(value: float, name: str, where: str, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise SimulationInputError(f"'{name}' at {where} must be {'>= 0' if allow_zero else '> 0'}.")


def _histogram(spec: Mapping[str, Any], where: str, u: float) -> Distribution:
    """Empirical: ``bins`` [[low, high, weight], ...] (uniform inside a bin) or ``values`` + ``weights``."""
    if "bins" in spec:
        bins = np.asarray(spec["bins"], dtype=float)
        if bins.ndim != 2 or bins.shape[1] != 3 or len(bins) == 0:
            raise SimulationInputError(f"histogram at {where}: bins must be [[low, high, weight], ...].")
        lows, highs, weights = bins[:, 0] * u, bins[:, 1] * u, bins[:, 2]
        if (highs < lows).any() or (weights < 0).any() or weights.sum() <= 0:
            raise SimulationInputError(f"histogram at {where}: each bin needs low <= high and weight >= 0.")
        p = weights / weights.sum()
        mean = float(((lows + highs) / 2 * p).sum())

        def draw(rng: np.random.Generator, n: int) -> np.ndarray:
            idx = rng.choice(len(p), size=n, p=p)
            return lows[idx] + (highs[idx] - lows[idx]) * rng.random(n)

        params = {
            "bins": [[float(a), float(b), float(w)] for a, b, w in zip(lows, highs, weights, strict=True)]
        }
        return Distribution("histogram", params, mean, draw)
    values = np.asarray(spec.get("values") or [], dtype=float) * u
    if len(values) == 0:
        raise SimulationInputError(f"histogram at {where} needs 'bins' or 'values'.")
    weights = np.asarray(spec.get("weights") or [1.0] * len(values), dtype=float)
    if len(weights) != len(values) or (weights < 0).any() or weights.sum() <= 0:
        raise SimulationInputError(f"histogram at {where}: 'weights' must match 'values' and be >= 0.")
    p = weights / weights.sum()
    params = {"values": values.tolist(), "weights": weights.tolist()}
    return Distribution(
        "histogram", params, float((values * p).sum()), lambda rng, n: values[rng.choice(len(p), n, p=p)]
    )


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed & 0xFFFFFFFF, replication, zlib.crc32(name.encode())])


class Sampler:
    """Next value of one distribution on one named stream; refills a buffer in batches."""

    __slots__ = ("dist", "rng", "buf")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self.dist = dist
        self.rng = rng
        self.buf: list[float] = []

    def __call__(self) -> float:
        buf = self.buf
        if not buf:
            buf.extend(self.dist.draw(self.rng, _BATCH)[::-1].tolist())
        return buf.pop()


class Uniforms:
    """Uniform(0, 1) draws on one named stream (branch choices, data values)."""

    __slots__ = ("rng", "buf")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.buf: list[float] = []

    def __call__(self) -> float:
        buf = self.buf
        if not buf:
            buf.extend(self.rng.random(_BATCH).tolist())
        return buf.pop()
