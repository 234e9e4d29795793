"""The door of `/_strangler/`: mounts the admin app at its prefix and applies `auth`'s rules.

In order: health checks, the icon and static files are open; a state-changing call
from another site is refused (403 `cross_site`); then, with a token, a request needs a
valid Bearer header or session cookie (cookie + state change: the CSRF token too);
without a token, state changes are refused unless the admin area was opened. What the
guard decided travels to the pages in `scope["strangler.auth"]` (`AuthState`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.responses import HTMLResponse, RedirectResponse, Response

from proxy.admin.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    Access,
    Sessions,
    cross_site,
    header,
)
from proxy.admin.layout import signin_page
from proxy.responses import error_response as _error  # the one error envelope
from proxy.runtime import Runtime
from proxy.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AUTH_KEY", "OPEN_PATHS", "AuthState", "Guard", "read_form"]

AUTH_KEY = "strangler.auth"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/favicon.ico"})
OPEN_PREFIXES = ("/static/",)
SIGNIN_PATHS = frozenset({"/signin"})
MAX_FORM_BYTES = 64 * 1024
READ_ONLY_MESSAGE = (
    "the admin area is read-only: set STRANGLER_ADMIN_TOKEN (then sign in at /_strangler/ or "
    "send Authorization: Bearer <token>), or STRANGLER_ADMIN_OPEN=1 on a trusted network"
)


@dataclass(frozen=True, slots=True)
class AuthState:
    """What the guard decided about a request, for the page that answers it."""

    mode: str
    signed_in: bool = False
    csrf: str | None = None
    sessions: Sessions | None = None


async def read_form(receive: Receive, limit: int = MAX_FORM_BYTES) -> tuple[dict[str, str], bytes]:
    """An urlencoded body as a dict (first value per name), and the raw bytes read."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            return {}, b""
        chunks.append(body)
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    parsed = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}, raw


def _replay(raw: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class Guard:
    """Mounts the admin app at `prefix` and enforces who may do what.

    Parameters:
        app: the admin Starlette app.
        get_runtime: the worker's runtime (None while starting: read-only until then).
        prefix: where the admin area lives (`/_strangler`).
    """

    def __init__(
        self, app: ASGIApp, get_runtime: Callable[[], Runtime | None], prefix: str
    ) -> None:
        self.app = app
        self.get_runtime = get_runtime
        self.prefix = prefix
        self._sessions: Sessions | None = None

    def _access(self) -> Access:
        runtime = self.get_runtime()
        if runtime is None:
            return Access(token=None, open=False)
        return Access(token=runtime.settings.admin_token, open=runtime.settings.admin_open)

    def _sessions_for(self, token: str) -> Sessions:
        if self._sessions is None or not self._sessions.token_matches(token):
            self._sessions = Sessions(token)
        return self._sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path == self.prefix:
            await RedirectResponse(self.prefix + "/", status_code=308)(scope, receive, send)
            return
        sub_path = path[len(self.prefix) :]
        method = str(scope.get("method", "GET")).upper()
        changing = method not in SAFE_METHODS
        access = self._access()
        state = AuthState(mode=access.mode)
        if sub_path in OPEN_PATHS or sub_path.startswith(OPEN_PREFIXES):
            pass
        elif changing and cross_site(scope):
            await _error(403, "cross_site", "refused: a state-changing call from another site")(
                scope, receive, send
            )
            return
        elif access.token:
            sessions = self._sessions_for(access.token)
            decided = await self._token_gate(scope, receive, sub_path, changing, sessions)
            if isinstance(decided, Response):
                await decided(scope, receive, send)
                return
            state, receive = decided
        elif changing and not access.open:
            await _error(403, "read_only", READ_ONLY_MESSAGE)(scope, receive, send)
            return
        # Starlette routes on the path below root_path, so the routes read "/api/status".
        await self.app({**scope, "root_path": self.prefix, AUTH_KEY: state}, receive, send)

    async def _token_gate(
        self, scope: Scope, receive: Receive, sub_path: str, changing: bool, sessions: Sessions
    ) -> Response | tuple[AuthState, Receive]:
        if sub_path in SIGNIN_PATHS:
            return AuthState(mode="token", sessions=sessions), receive
        if _bearer_ok(scope, sessions):
            return AuthState(mode="token", signed_in=False, sessions=sessions), receive
        cookie = Sessions.cookie_of(scope)
        if cookie is not None and sessions.valid(cookie):
            if changing:
                given = header(scope, CSRF_HEADER)
                if given is None and (header(scope, "content-type") or "").startswith(
                    "application/x-www-form-urlencoded"
                ):
                    form, raw = await read_form(receive)
                    given, receive = form.get(CSRF_FIELD), _replay(raw)
                if not sessions.csrf_valid(cookie, given):
                    return _error(403, "csrf", f"missing or wrong {CSRF_HEADER} for this session")
            state = AuthState(
                mode="token", signed_in=True, csrf=sessions.csrf_for(cookie), sessions=sessions
            )
            return state, receive
        wants_page = "text/html" in (header(scope, "accept") or "") and not changing
        if wants_page:
            here = self.prefix + sub_path
            return HTMLResponse(signin_page(self.prefix, next_path=here), status_code=401)
        response = _error(
            401,
            "unauthorized",
            "this endpoint needs Authorization: Bearer <token> (or sign in at /_strangler/)",
        )
        response.headers["www-authenticate"] = "Bearer"
        return response


def _bearer_ok(scope: Scope, sessions: Sessions) -> bool:
    value = header(scope, "authorization")
    if value is None:
        return False
    scheme, _, given = value.partition(" ")
    return scheme.lower() == "bearer" and sessions.token_matches(given)
