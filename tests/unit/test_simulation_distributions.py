"""Every duration distribution a scenario may name draws what it says, in the unit it says."""

from __future__ import annotations

import numpy as np
import pytest

from engine.simulation import SimulationInputError, parse_distribution
from engine.simulation.distributions import Sampler, stream_seed

CASES = [
    (12, 720.0, 0.0),
    ({"type": "fixed", "value": 2, "unit": "hours"}, 7200.0, 0.0),
    ({"type": "uniform", "min": 10, "max": 20}, 900.0, 600 / 12**0.5),
    ({"type": "normal", "mean": 30, "sd": 5}, 1800.0, 300.0),
    ({"type": "lognormal", "mean": 30, "sd": 10}, 1800.0, 600.0),
    ({"type": "gamma", "mean": 30, "sd": 15}, 1800.0, 900.0),
    ({"type": "gamma", "shape": 2, "scale": 0.5, "unit": "working_days"}, 28800.0, 2**0.5 * 14400),
    ({"type": "exponential", "mean": 90, "unit": "seconds"}, 90.0, 90.0),
    ({"type": "exponential", "rate": 4, "unit": "hours"}, 900.0, 900.0),
    ({"type": "triangular", "min": 0, "mode": 3, "max": 6}, 180.0, 60 * (6**2 / 18 * (1 - 0.25)) ** 0.5),
    ({"type": "histogram", "bins": [[0, 10, 1], [10, 20, 3]]}, 60 * 12.5, None),
    ({"type": "histogram", "values": [1, 2, 3], "weights": [1, 1, 2]}, 60 * 2.25, None),
]


@pytest.mark.parametrize(("spec", "mean", "sd"), CASES)
def test_draws_match_the_declared_mean_and_spread(spec, mean, sd):
    dist = parse_distribution(spec, "test")
    assert dist.mean == pytest.approx(mean)
    sampler = Sampler(dist, np.random.default_rng(stream_seed(1, 0, "test")))
    x = np.array([sampler() for _ in range(40000)])
    assert (x >= 0).all()
    assert x.mean() == pytest.approx(mean, rel=0.02, abs=1e-9)
    if sd is not None:
        assert x.std() == pytest.approx(sd, rel=0.04, abs=1e-9)


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "weibull", "shape": 1},
        {"type": "uniform", "min": 5, "max": 1},
        {"type": "normal", "mean": 5},
        {"type": "fixed", "value": 1, "unit": "fortnights"},
        {"type": "histogram", "bins": [[0, 1, -1]]},
        {"type": "triangular", "min": 1, "mode": 0, "max": 2},
        "ten minutes",
    ],
)
def test_bad_distributions_are_refused_with_where_they_are(spec):
    with pytest.raises(SimulationInputError, match="durations.tasks.x"):
        parse_distribution(spec, "durations.tasks.x")
