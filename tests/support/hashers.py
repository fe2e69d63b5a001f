"""The configured password hasher, counting the hashes it computes: a test
puts it in PASSWORD_HASHERS in place of users.hashers.Argon2idPasswordHasher
(same algorithm, so it verifies the same hashes) and reads `computed`."""

from __future__ import annotations

from typing import ClassVar

from users.hashers import Argon2idPasswordHasher


class CountingHasher(Argon2idPasswordHasher):
    # Every hash computed, in order: "verify" or "encode".
    computed: ClassVar[list[str]] = []

    def verify(self, password: str, encoded: str) -> bool:
        self.computed.append("verify")
        return super().verify(password, encoded)

    def encode(self, password: str, salt: str) -> str:
        self.computed.append("encode")
        return super().encode(password, salt)
