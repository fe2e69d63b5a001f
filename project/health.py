"""The liveness probe: the process answers. It touches nothing else."""

from django.db import transaction
from django.http import HttpRequest, JsonResponse


# ATOMIC_REQUESTS would open a database connection for the transaction; a
# probe must answer while PostgreSQL is down.
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and uptime checks: the process answers."""
    return JsonResponse({"status": "ok"})
