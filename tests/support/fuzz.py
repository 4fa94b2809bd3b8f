"""Hypothesis settings shared by the fuzz tests: a number of examples from the environment,
no deadline (the machine is shared), no example database in the tree."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(variable: str, default: int) -> settings:
    """`settings` with max_examples from `variable` (else `default`)."""
    return settings(
        max_examples=int(os.environ.get(variable, str(default))),
        deadline=None,
        database=None,  # no .hypothesis/ folder in the tree
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
