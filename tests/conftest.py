"""Hypothesis profiles. `ci` (the default) holds on a loaded machine: no deadline (a busy
core makes any example slow, which says nothing about the code), the same examples every
run (`derandomize`), no example database, no shrinking (it can take minutes). `campaign`
draws new examples each run, for the long runs of benchmarks/fuzz.py; select it with
MODSCHED_HYPOTHESIS_PROFILE=campaign."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("campaign", parent=settings.get_profile("ci"), derandomize=False)
settings.load_profile(os.environ.get("MODSCHED_HYPOTHESIS_PROFILE", "ci"))
