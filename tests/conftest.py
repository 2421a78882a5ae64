"""Shared test settings: hypothesis runs derandomized, so every run checks the same examples.

Set ``HYPOTHESIS_PROFILE=thorough`` for a long, randomised search.
"""

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("zopa", derandomize=True, max_examples=60, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "zopa"))
