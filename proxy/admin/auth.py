"""Who may use `/_strangler/`, and how a browser proves it.

Three modes, chosen from the environment at start-up:

- **token** (`STRANGLER_ADMIN_TOKEN` set): API clients send `Authorization: Bearer
  <token>`; a browser signs in once (a form POST of the token) and gets a session
  cookie. The cookie is signed with an HMAC keyed from the token, so no session store
  is needed and changing the token signs everybody out.
- **read-only** (no token, the default): GET/HEAD pages, status and metrics are
  open; every state-changing call is refused 403, saying how to enable it.
- **open** (no token and `STRANGLER_ADMIN_OPEN=1`): everything is open, for a
  loopback-only development stack.

Cross-site requests: a cookie is sent by the browser on its own, so a state-changing
call authenticated by the cookie must carry the CSRF token derived from that cookie
(`X-Strangler-CSRF` header or a `csrf` form field). In every mode a state-changing
call whose `Origin` (or `Sec-Fetch-Site`) says it comes from another site is refused,
which also covers open mode and the sign-in form (no login CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from proxy.types import Scope

__all__ = [
    "COOKIE_NAME",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_SECONDS",
    "Access",
    "Sessions",
    "cross_site",
    "header",
    "request_is_https",
]

COOKIE_NAME = "strangler_session"
CSRF_HEADER = "x-strangler-csrf"
CSRF_FIELD = "csrf"
SESSION_SECONDS = 8 * 3600  # a working day: long enough to watch, short enough to expire
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSION = "v1"


def header(scope: Scope, name: str) -> str | None:
    """The first value of a request header (`name` in lower case), as text."""
    wanted = name.encode()
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def request_is_https(scope: Scope) -> bool:
    """TLS here, or at the load balancer in front (X-Forwarded-Proto)."""
    forwarded = (header(scope, "x-forwarded-proto") or "").split(",")[0].strip().lower()
    return scope.get("scheme") == "https" or forwarded == "https"


def cross_site(scope: Scope) -> bool:
    """True when the browser says the request comes from another site.

    `Sec-Fetch-Site` is set by every current browser and cannot be forged by a page;
    `Origin` is checked against `Host` for the browsers and clients that send only it.
    A request with neither (curl, scripts) is not a browser's cross-site request.
    """
    fetch_site = header(scope, "sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return True
    origin = header(scope, "origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    host = header(scope, "host") or ""
    return urlsplit(origin).netloc.lower() != host.lower()


@dataclass(frozen=True, slots=True)
class Access:
    """The admin area's access mode.

    Parameters:
        token: the admin token (None: no token configured).
        open: with no token, allow state-changing calls (`STRANGLER_ADMIN_OPEN=1`).
    """

    token: str | None
    open: bool = False

    @property
    def mode(self) -> str:
        if self.token:
            return "token"
        return "open" if self.open else "read-only"


class Sessions:
    """Signed, expiring session cookies and the CSRF token bound to each.

    A cookie reads `v1.<expiry>.<nonce>.<signature>`; the signature is an HMAC-SHA256
    over the rest, keyed by a key derived from the admin token (never the token
    itself, so a leaked cookie tells nothing about the token).
    """

    def __init__(self, token: str, lifetime: int = SESSION_SECONDS) -> None:
        self._key = hmac.new(token.encode(), b"strangler admin session", hashlib.sha256).digest()
        self._token = token.encode()
        self.lifetime = lifetime

    def token_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.strip().encode(), self._token)

    def issue(self, now: float | None = None) -> str:
        expiry = int((time.time() if now is None else now) + self.lifetime)
        body = f"{_VERSION}.{expiry}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, cookie: str | None, now: float | None = None) -> bool:
        if not cookie:
            return False
        body, _, signature = cookie.rpartition(".")
        parts = body.split(".")
        if len(parts) != 3 or parts[0] != _VERSION or not parts[1].isdigit():
            return False
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return False
        return int(parts[1]) > (time.time() if now is None else now)

    def csrf_for(self, cookie: str) -> str:
        """The CSRF token of one session: only a page served to that session knows it."""
        return self._sign("csrf:" + cookie)

    def csrf_valid(self, cookie: str, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(
            given.encode(), self.csrf_for(cookie).encode()
        )

    def set_cookie(self, value: str, *, secure: bool) -> str:
        """The Set-Cookie header value (HttpOnly, SameSite=Strict, Secure behind TLS)."""
        flags = f"; Path=/_strangler; Max-Age={self.lifetime}; HttpOnly; SameSite=Strict"
        return f"{COOKIE_NAME}={value}{flags}" + ("; Secure" if secure else "")

    @staticmethod
    def clear_cookie(*, secure: bool) -> str:
        flags = "; Path=/_strangler; Max-Age=0; HttpOnly; SameSite=Strict"
        return f"{COOKIE_NAME}=" + flags + ("; Secure" if secure else "")

    @staticmethod
    def cookie_of(scope: Scope) -> str | None:
        raw = header(scope, "cookie")
        if not raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed Cookie header is no session, never an error page
            return None
        morsel = jar.get(COOKIE_NAME)
        return morsel.value if morsel is not None else None

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
