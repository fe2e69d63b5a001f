"""The test settings without what issue 12 added per request: no metrics
middleware, no request ids, plain log lines. bench/ops_overhead.py runs
this beside the full service to measure what those cost."""

from project.settings.test import *  # noqa: F403
from project.settings.test import MIDDLEWARE

MIDDLEWARE = [
    name
    for name in MIDDLEWARE
    if name
    not in ("ops.metrics.MetricsMiddleware", "ops.request_id.RequestIdMiddleware")
]
