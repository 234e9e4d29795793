"""The real proxy app with the real shadow sink wired in, for end-to-end shadow tests."""

from __future__ import annotations

from proxy.app import create_app
from proxy.shadow import create_shadow, shadow_admin_routes

app = create_app(shadow_factory=create_shadow, admin_routes=shadow_admin_routes)
