"""Password hashing parameters."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's first recommended configuration: m=19 MiB, t=2, p=1.

    Django's defaults (m=100 MiB, p=8) cost about 300 ms of CPU per login on
    a 2-core host, which caps logins at a handful a second and hands an
    attacker a cheap denial of service. OWASP's settings keep Argon2id's
    memory hardness at a fraction of the cost. Hashes made with other
    parameters still verify and are re-hashed at the next login.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
