"""routes.yaml: the schema (`models`), path templates (`paths`) and loading (`loader`)."""

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
from proxy.config.moves import (
    MoveProblem,
    Position,
    judge_move,
    position_of,
    rollback_expired,
    step_back,
)
from proxy.config.paths import PathTemplate, TemplateError

__all__ = [
    "IDEMPOTENT_METHODS",
    "SAFE_METHODS",
    "STAGES",
    "CanaryRule",
    "CompareRules",
    "ConfigError",
    "LoadedRoutes",
    "MoveProblem",
    "PathTemplate",
    "Position",
    "Rollback",
    "Route",
    "RoutesConfig",
    "ShadowSettings",
    "Stage",
    "TemplateError",
    "Upstream",
    "backward_moves",
    "judge_move",
    "load_routes",
    "parse_routes",
    "position_of",
    "rollback_expired",
    "stage_index",
    "step_back",
]
