"""Password hashing in the format both apps share: `pbkdf2_sha256$<iter>$<salt>$<hash>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets

ITERATIONS = 100_000
SALT_BYTES = 16
# A stored hash naming more rounds than this does not match: the hashes are shared with
# legacy, which stores whatever it is given, and one login must not run for hours.
MAX_ITERATIONS = 10 * ITERATIONS


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches; any malformed stored hash simply does not match."""
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        if algorithm != "pbkdf2_sha256" or not 0 < int(iterations) <= MAX_ITERATIONS:
            return False
        digest = hashlib.pbkdf2_hmac(
            "sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations)
        )
    except (ValueError, TypeError, OverflowError):
        return False
    return hmac.compare_digest(digest.hex(), expected)
