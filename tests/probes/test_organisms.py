"""Planted behaviors: each probe recovers a known, planted rate inside its 95% interval."""

import pytest

from ripeness.probes.organisms import ORGANISMS, plant, validate

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(ORGANISMS))
def test_probe_recovers_the_planted_rate(name, default_model_dir, tmp_path):
    organism = ORGANISMS[name]
    model = plant(default_model_dir, organism, tmp_path / name)
    result = validate(model, organism)
    low, high = result.measured.interval
    assert result.recovered, f"{name}: planted {organism.rate:.0%}, measured {result.measured}"
    # informative: the behavior is there beyond doubt, and not at twice the planted rate
    assert result.measured.n >= 100 and low > 0 and high < min(1.0, 2 * organism.rate)


def test_base_model_shows_none_of_the_planted_behaviors(default_model_dir):
    for organism in ORGANISMS.values():
        result = validate(default_model_dir, organism, samples=20)
        assert result.measured.value < 0.1, f"{organism.name}: {result.measured}"
