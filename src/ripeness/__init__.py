"""Ripeness: craft reasoning language models that are good in use, not only on benchmarks."""

__version__ = "0.1.0"
