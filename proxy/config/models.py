"""The routes.yaml schema: strict, frozen pydantic models.

Every model forbids unknown keys, so a typo (`stgae: modern`) is an error naming the
key rather than a silently ignored line. Cross-field rules that concern one route
(a canary needs a percent; fallback and shadowing only for safe methods) live on
`Route`; rules that concern the whole table (unique ids, no overlapping templates,
known upstreams) live on `RoutesConfig`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from proxy.config.base import StrictModel as _Strict
from proxy.config.comparison import CompareRules, ShadowSettings
from proxy.config.guardrail import Analysis, Autopilot, GuardrailMode, parse_mode
from proxy.config.paths import PathTemplate, TemplateError
from proxy.config.resilience import BreakerSettings, HealthCheck

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "SAFE_METHODS",
    "STAGES",
    "CanaryRule",
    "CompareRules",
    "FieldProblem",
    "Method",
    "Removal",
    "Rollback",
    "Route",
    "RouteProblem",
    "RoutesConfig",
    "ShadowSettings",
    "Stage",
    "Upstream",
    "stage_index",
]

Stage = Literal["legacy", "shadow", "canary", "modern", "retired"]
STAGES: tuple[Stage, ...] = ("legacy", "shadow", "canary", "modern", "retired")
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SAFE_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
PRIMARY_UPSTREAMS = ("legacy", "modern")

DEFAULT_TIMEOUT = 30.0
DEFAULT_BODY_LIMIT = 50 * 1024 * 1024

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class RouteProblem(ValueError):
    """A table-level rule broken by one route; carries the id so errors can name its line."""

    def __init__(self, index: int, route_id: str, message: str) -> None:
        super().__init__(f"route {route_id!r}: {message}")
        self.index = index
        self.route_id = route_id


class FieldProblem(ValueError):
    """A rule broken by one field of a route; carries the field so errors name its line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def stage_index(stage: Stage) -> int:
    """Position of a stage on the forward-only path legacy → … → retired."""
    return STAGES.index(stage)


class Upstream(_Strict):
    """One backend the proxy forwards to.

    Parameters:
        url: base URL, `http://host:port` (no path).
        timeout: seconds for a whole upstream request unless a route overrides it.
        pool_size: connections kept per proxy worker.
        breaker: when to stop asking a failing upstream (`BreakerSettings`).
        health: the HTTP probe behind `readyz` (`HealthCheck`).
    """

    url: str
    timeout: Annotated[float, Field(gt=0, le=3600)] = DEFAULT_TIMEOUT
    pool_size: Annotated[int, Field(ge=1, le=4096)] = 256
    breaker: BreakerSettings = BreakerSettings()
    health: HealthCheck = HealthCheck()

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+$", url.rstrip("/")):
            raise ValueError(f"upstream url must be http(s)://host[:port], got {url!r}")
        return url.rstrip("/")


class CanaryRule(_Strict):
    """How a canary splits traffic.

    Parameters:
        percent: share of sticky keys sent to modern, 0–100 in steps of 0.01.
        sticky: what keeps a client on one side: `user` (bearer token), `cookie`,
            `ip`, `header` or `path_param`.
        key: the cookie, header or path parameter name (required for those three).
        salt: mixed into the hash; defaults to the route id, so routes split
            independently.
        when_missing: what a request without its sticky key gets: `ip` (default)
            hashes the client address instead, so such clients still split by the
            percent; `legacy` (strict) serves them from legacy. Either way they are
            counted per route (`sticky_missing` in status and metrics).
    """

    percent: Annotated[float, Field(ge=0, le=100)]
    sticky: Literal["user", "cookie", "ip", "header", "path_param"] = "user"
    key: str | None = None
    salt: str | None = None
    when_missing: Literal["ip", "legacy"] = "ip"

    @model_validator(mode="after")
    def _check(self) -> CanaryRule:
        if round(self.percent * 100) != round(self.percent * 100, 6):
            raise ValueError("canary.percent has a resolution of 0.01")
        if self.sticky in ("cookie", "header", "path_param") and not self.key:
            raise ValueError(f"canary.sticky {self.sticky!r} needs canary.key (its name)")
        if self.sticky in ("user", "ip") and self.key:
            raise ValueError("canary.key is only for cookie, header or path_param sticky keys")
        return self

    @property
    def basis_points(self) -> int:
        """The percent as an integer out of 10,000, for exact hashing thresholds."""
        return round(self.percent * 100)


class Rollback(_Strict):
    """Why a route moved backwards, and until when the move is tolerated."""

    reason: Annotated[str, Field(min_length=3)]
    expires: date | None = None

    @field_validator("expires", mode="before")
    @classmethod
    def _parse_date(cls, value: object) -> object:
        # YAML gives a date object for 2026-12-01, but strict mode refuses strings.
        if isinstance(value, str):
            return date.fromisoformat(value)
        return value


class Removal(_Strict):
    """A route taken out of the table on purpose, and why.

    A route that disappears from routes.yaml is otherwise refused as a backward move:
    a file cut short, or a table emptied by mistake, looks exactly the same. Once the
    proxy has applied the table (and `strangler ratchet update` has recorded it) the
    entry may be deleted.

    Parameters:
        id: the id of the route taken out.
        reason: why (at least three characters), shown in reviews and logs.
    """

    id: str
    reason: Annotated[str, Field(min_length=3)]


class Route(_Strict):
    """One entry of the route table: which requests, and where they go.

    Parameters:
        id: stable slug used in metrics, status and the ratchet baseline.
        methods: HTTP methods matched (ignored for `websocket: true`).
        path: template with `{params}`.
        stage: legacy | shadow | canary | modern | retired.
        websocket: the route is a WebSocket endpoint (target chosen at handshake).
        canary: required when stage is canary.
        fallback: `legacy` serves a failed idempotent modern request from legacy.
        timeout, max_body_bytes: per-route overrides; `timeout` is the request's
            overall deadline, fallback included.
        fallback_budget: with `fallback: legacy`, the share (0–1, exclusive) of the
            deadline modern may take before legacy is asked instead.
        compare, shadow: shadow comparison rules and mirroring settings.
        rollback: required to move a route to an earlier stage.
        modern_only: an endpoint that exists only in modern (ratchet: no legacy match).
        analysis: canary analysis thresholds (`proxy.config.guardrail.Analysis`).
        guardrail: `on` (default) sends a failing canary back to legacy, `dry-run`
            only reports it, `off` neither.
        autopilot: promote on evidence by itself (`proxy.config.guardrail.Autopilot`).
    """

    id: str
    path: str
    stage: Stage
    methods: list[Method] = ["GET"]
    websocket: bool = False
    canary: CanaryRule | None = None
    fallback: Literal["legacy"] | None = None
    timeout: Annotated[float, Field(gt=0, le=3600)] | None = None
    max_body_bytes: Annotated[int, Field(ge=0)] | None = None
    fallback_budget: Annotated[float, Field(gt=0, lt=1)] | None = None
    compare: CompareRules = CompareRules()
    shadow: ShadowSettings = ShadowSettings()
    rollback: Rollback | None = None
    modern_only: bool = False
    analysis: Analysis = Analysis()
    guardrail: GuardrailMode = "on"
    autopilot: Autopilot | None = None

    @field_validator("methods", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        if isinstance(value, list):
            return [m.upper() if isinstance(m, str) else m for m in value]
        return value

    @model_validator(mode="after")
    def _check(self) -> Route:
        if not _ID.match(self.id):
            raise ValueError(f"route id {self.id!r} must be lower-case letters, digits and '-'")
        try:
            PathTemplate.parse(self.path)
        except TemplateError as exc:
            raise ValueError(str(exc)) from None
        if len(set(self.methods)) != len(self.methods) or not self.methods:
            raise ValueError("methods must be a non-empty list without repeats")
        if self.stage == "canary" and self.canary is None:
            raise ValueError("stage canary needs `canary: {percent: …}`")
        self._no_contradictions()
        if self.fallback and not set(self.methods) <= IDEMPOTENT_METHODS:
            raise ValueError("fallback: legacy is allowed only for idempotent methods")
        if self.modern_only and self.stage not in ("modern", "retired"):
            raise ValueError("a modern_only route must be at stage modern")
        refused = sorted(m for m in self.methods if not self.mirrors_method(m))
        # During a canary, an explicit `during_canary: true` promises unsafe methods too;
        # the default mirrors the safe ones only (the shadow service skips the rest).
        explicit = "during_canary" in self.shadow.model_fields_set and self.shadow.during_canary
        promised = self.stage == "shadow" or (self.stage == "canary" and explicit)
        if promised and refused and not self.websocket:
            raise ValueError(
                f"shadowing {', '.join(refused)} would write twice: name an isolated "
                "`shadow.upstream` (a modern on its own database) or keep the route at legacy"
            )
        return self

    @model_validator(mode="after")
    def _budget_needs_fallback(self) -> Route:
        if self.fallback_budget is not None and self.fallback is None:
            raise ValueError("fallback_budget needs `fallback: legacy` (it splits that deadline)")
        return self

    @field_validator("guardrail", mode="before")
    @classmethod
    def _mode(cls, value: object) -> object:
        return parse_mode(value)

    @model_validator(mode="after")
    def _check_autopilot(self) -> Route:
        if self.autopilot is None:
            return self
        if self.websocket:
            raise ValueError("autopilot is for HTTP routes (a WebSocket's target is fixed)")
        if self.guardrail != "on":
            raise ValueError("autopilot needs `guardrail: on`: a failing step must go back")
        return self  # at legacy it waits: autopilot starts from shadow

    @property
    def template(self) -> PathTemplate:
        return PathTemplate.parse(self.path)

    @property
    def is_idempotent(self) -> bool:
        return set(self.methods) <= IDEMPOTENT_METHODS

    # Which requests the shadow mirrors: the one rule, read by validation above (a table
    # that promises more is refused) and by the shadow service (`proxy.shadow.runner`).
    @property
    def mirrors(self) -> bool:
        """Whether the route's stage mirrors at all (shadow, or a canary's legacy share
        with `shadow.during_canary`); a WebSocket never is."""
        if self.websocket:
            return False
        return self.stage == "shadow" or (self.stage == "canary" and self.shadow.during_canary)

    def mirrors_method(self, method: str) -> bool:
        """Safe methods always; a write only to an isolated `shadow.upstream`: the primary
        modern shares legacy's database, so a mirrored write would land twice."""
        return method.upper() in SAFE_METHODS or self.shadow.upstream not in (None, "modern")

    def _no_contradictions(self) -> None:
        """Settings that say the opposite of the stage are errors, not silently ignored."""
        if self.canary is not None and self.stage != "canary":
            raise FieldProblem(
                "canary",
                f"a canary block on a route at stage {self.stage} does nothing: remove it "
                "(or set `stage: canary`)",
            )
        if self.fallback is not None and self.stage == "retired":
            raise FieldProblem(
                "fallback",
                "a retired route has no legacy endpoint to fall back to: remove "
                "`fallback: legacy` (or roll the route back to modern with a reason)",
            )


class RoutesConfig(_Strict):
    """A whole routes.yaml: upstreams and the route table.

    Parameters:
        version: schema version, 1.
        upstreams: named backends; `legacy` and `modern` are required.
        routes: the table; every legacy endpoint has exactly one entry.
        removed: routes taken out of the table on purpose (`Removal`); without an
            entry here, a route that disappears is refused like a backward move.
    """

    version: Literal[1]
    upstreams: dict[str, Upstream]
    routes: list[Route]
    removed: list[Removal] = []

    @model_validator(mode="after")
    def _check(self) -> RoutesConfig:
        """What no route can check alone: removed routes are gone from the table, the
        primary upstreams are defined, ids are unique, each shadow upstream exists and no
        two routes answer the same requests."""
        listed = {route.id for route in self.routes}
        both = sorted({entry.id for entry in self.removed} & listed)
        if both:
            raise ValueError(
                f"removed: {', '.join(repr(i) for i in both)} still listed under routes; "
                "a route is either in the table or removed"
            )
        missing = [name for name in PRIMARY_UPSTREAMS if name not in self.upstreams]
        if missing:
            raise ValueError(f"upstreams must define {', '.join(missing)}")
        seen_ids: set[str] = set()
        by_shape: dict[tuple[bool, tuple[str | None, ...]], list[Route]] = {}
        for index, route in enumerate(self.routes):
            if route.id in seen_ids:
                raise RouteProblem(index, route.id, "this id is used twice")
            seen_ids.add(route.id)
            upstream = route.shadow.upstream
            if upstream is not None and upstream not in self.upstreams:
                raise RouteProblem(index, route.id, f"shadow.upstream {upstream!r} is not defined")
            same_shape = by_shape.setdefault((route.websocket, route.template.shape), [])
            for other in same_shape:
                if route.websocket or set(other.methods) & set(route.methods):
                    raise RouteProblem(
                        index,
                        route.id,
                        f"overlaps route {other.id!r}: "
                        f"{route.path!r} and {other.path!r} match the same requests",
                    )
            same_shape.append(route)
        return self

    def route(self, route_id: str) -> Route | None:
        return next((r for r in self.routes if r.id == route_id), None)
