"""The `/_strangler/` admin app: dashboard, status, diffs, reload, metrics, health."""

from proxy.admin.app import build_admin

__all__ = ["build_admin"]
