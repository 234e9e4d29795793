"""The frame every cockpit page shares, the sign-in page, and the packaged static files.

Pages are plain strings built with `html.escape` on every value that came from outside
(route ids, paths, samples, reasons): no template engine to install, nothing to escape
twice. The stylesheet, the script and the icon ship in `proxy/admin/static/`.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources

from proxy.admin.auth import CSRF_FIELD

__all__ = [
    "REFRESH_BOUNDS_MS",
    "REFRESH_MS",
    "STATIC_TYPES",
    "page",
    "signin_page",
    "stage_pill",
    "static_file",
]

STATIC_TYPES = {
    "cockpit.css": "text/css; charset=utf-8",
    "cockpit.js": "text/javascript; charset=utf-8",
    "favicon.ico": "image/x-icon",
}
REFRESH_MS = 5000
REFRESH_BOUNDS_MS = (1000, 600_000)  # `?refresh_ms=`: a wall screen may want it slower


@cache
def static_file(name: str) -> bytes | None:
    """A packaged static file (read once, on first use), or None for an unknown name."""
    if name not in STATIC_TYPES:
        return None
    return (resources.files("proxy.admin") / "static" / name).read_bytes()


def _stage_label(stage: str, percent: float | None) -> str:
    return f"canary {percent:g} %" if stage == "canary" and percent is not None else stage


def stage_pill(
    stage: str,
    percent: float | None = None,
    *,
    effective: tuple[str, float | None] | None = None,
    by: str | None = None,
) -> str:
    """A stage in its colour; then, when a runtime override (guardrail, autopilot) serves
    the route elsewhere, the `effective` (stage, percent) beside it, saying who moved it."""
    label = _stage_label(stage, percent)
    html = (
        f'<span class="stage {escape(stage)}" data-stage="{escape(stage)}">{escape(label)}</span>'
    )
    if effective is not None:
        where, share = effective
        title = f"served as {_stage_label(where, share)} now" + (f" (by {by})" if by else "")
        html += (
            f' → <span class="stage {escape(where)}" data-effective="{escape(where)}" '
            f'title="{escape(title)}">{escape(_stage_label(where, share))}</span>'
        )
    return html


def page(
    *,
    title: str,
    root: str,
    body: str,
    mode: str,
    csrf: str | None,
    signed_in: bool,
    refresh_ms: int = REFRESH_MS,
) -> str:
    """A whole page; `body` is the live part (re-rendered by the script every few seconds)."""
    signout = ""
    if signed_in and csrf:
        signout = (
            f'<form method="post" action="{root}/signout"><input type="hidden" '
            f'name="{CSRF_FIELD}" value="{escape(csrf)}"><button type="submit">Sign out</button>'
            "</form>"
        )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — Strangler</title>
<link rel="icon" href="{root}/favicon.ico">
<link rel="stylesheet" href="{root}/static/cockpit.css">
{f'<meta name="csrf-token" content="{escape(csrf)}">' if csrf else ""}
</head>
<body>
<header class="top">
<h1><a href="{root}/">Strangler — migration cockpit</a></h1>
<span class="meta">admin: <span class="badge" id="access-mode">{escape(mode)}</span></span>
{signout}
</header>
<main id="live" data-refresh-ms="{refresh_ms}">
{body}
</main>
<script src="{root}/static/cockpit.js" defer></script>
</body>
</html>
"""


def signin_page(root: str, *, error: str | None = None, next_path: str = "") -> str:
    """The sign-in form: the admin token is POSTed once and exchanged for a cookie."""
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Strangler</title>
<link rel="icon" href="{root}/favicon.ico">
<link rel="stylesheet" href="{root}/static/cockpit.css">
</head>
<body>
<form class="signin" method="post" action="{root}/signin">
<h1>Strangler — sign in</h1>
<p class="muted">This proxy's admin area needs its admin token
(<code>STRANGLER_ADMIN_TOKEN</code>). Signing in sets a session cookie for this browser;
API clients send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p>
{problem}
<label for="token">Admin token</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{escape(next_path)}">
<button type="submit">Sign in</button>
</form>
</body>
</html>
"""
