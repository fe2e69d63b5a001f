"""allauth's rate limits read and write each count under a lock in the
cache (allauth.core.internal.ratelimit.cache_lock): a key added with a
timeout, deleted when done. Held for the milliseconds of a read and a write,
but a process killed inside (a gunicorn worker's SIGKILL, an OOM kill)
leaves it for allauth's 10 s, and every login to that account waits its
one second for the lock and is refused as "too many attempts" until then.

Here a lock lasts 1 s and a waiter waits 2: a dead holder's lock expires
while the next login waits, which then goes ahead, a second slower. The
cost: a holder stalled for over a second (a paused process) may let another
count at the same time, off by one at most.
"""

from __future__ import annotations

from allauth.core.internal import ratelimit

LOCK_TIMEOUT = 1
LOCK_WAIT_TIMEOUT = 2


def install() -> None:
    ratelimit.CACHE_LOCK_TIMEOUT = LOCK_TIMEOUT
    ratelimit.CACHE_LOCK_WAIT_TIMEOUT = LOCK_WAIT_TIMEOUT
