"""The `/_strangler/` admin app: dashboard, status, diffs, reload, metrics, health."""

from proxy.admin.app import AdminRoutes, build_admin

__all__ = ["AdminRoutes", "build_admin"]
