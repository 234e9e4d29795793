"""routes.yaml: the schema (`models`), path templates (`paths`) and loading (`loader`)."""

from proxy.config.guardrail import Analysis, Autopilot, GuardrailMode
from proxy.config.loader import ConfigError, LoadedRoutes, backward_moves, load_routes, parse_routes
from proxy.config.models import (
    IDEMPOTENT_METHODS,
    SAFE_METHODS,
    STAGES,
    CanaryRule,
    CompareRules,
    Rollback,
    Route,
    RoutesConfig,
    ShadowSettings,
    Stage,
    Upstream,
    stage_index,
)
from proxy.config.paths import PathTemplate, TemplateError

__all__ = [
    "IDEMPOTENT_METHODS",
    "SAFE_METHODS",
    "STAGES",
    "Analysis",
    "Autopilot",
    "CanaryRule",
    "CompareRules",
    "ConfigError",
    "GuardrailMode",
    "LoadedRoutes",
    "PathTemplate",
    "Rollback",
    "Route",
    "RoutesConfig",
    "ShadowSettings",
    "Stage",
    "TemplateError",
    "Upstream",
    "backward_moves",
    "load_routes",
    "parse_routes",
    "stage_index",
]
