"""Shadow comparison settings of a route: how modern's answer is read against legacy's.

Kept apart from the route table's own schema because the comparison engine
(`proxy.shadow`) grows its rules here without touching routing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from proxy.config.base import StrictModel as _Strict

__all__ = ["CompareRules", "ShadowSettings", "Tolerance"]

DEFAULT_SHADOW_TIMEOUT = 5.0
DEFAULT_SHADOW_CONCURRENCY = 8
DEFAULT_SHADOW_BODY_CAP = 1024 * 1024
DEFAULT_SHADOW_QUEUE = 200
DEFAULT_NOISE_RATE = 0.05
DEFAULT_NOISE_RELATIVE = 0.2
DEFAULT_NOISE_ABSOLUTE = 0.0003
DEFAULT_MIN_NOISE_SAMPLES = 20
DEFAULT_READY_THRESHOLD = 0.99
DEFAULT_MIN_COMPARISONS = 500
DEFAULT_RESERVOIR = 20
DEFAULT_RECENT_COMPARISONS = 1000
DEFAULT_RECENT_HOURS = 24.0
DEFAULT_VERSION_HEADER = "x-app-version"


class Tolerance(_Strict):
    """A numeric or timestamp tolerance for one field path (absolute)."""

    path: str
    numeric: Annotated[float, Field(ge=0)] | None = None
    seconds: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.numeric is None) == (self.seconds is None):
            raise ValueError("a tolerance sets exactly one of numeric or seconds")
        return self


class CompareRules(_Strict):
    """How shadow comparison reads modern's answer against legacy's.

    Parameters:
        ignore: field paths to skip; `*` matches any key, `[*]` any list index.
        lists: how top-level-bounded lists compare: `exact`, `prefix` (modern's list is
            a prefix of legacy's), `suffix`, or `subset` (matched by `id`).
        list_rules: per field path, the same choice for nested lists.
        unordered: per field path of a list, the key that identifies its items when
            order does not matter.
        tolerances: numeric and timestamp tolerances per field path.
        equivalent_statuses: pairs `[legacy, modern]` counted as intended, e.g.
            `[500, 422]`.
        headers: response headers compared (lower-case); others are ignored, so
            modern's declared `Link` header is compared only when listed here.
        pagination_link: when the root list is compared as `prefix` or `suffix` and
            modern's list is shorter than legacy's, modern must say there is more
            (`Link: <…>; rel="next"`); a short page without it is a `length` difference.
    """

    ignore: list[str] = []
    lists: Literal["exact", "prefix", "suffix", "subset"] = "exact"
    list_rules: dict[str, Literal["exact", "prefix", "suffix", "subset"]] = {}
    unordered: dict[str, str] = {}
    tolerances: list[Tolerance] = []
    equivalent_statuses: list[list[int]] = []
    headers: list[str] = ["content-type"]
    pagination_link: bool = True

    @field_validator("equivalent_statuses")
    @classmethod
    def _pairs(cls, pairs: list[list[int]]) -> list[list[int]]:
        for pair in pairs:
            if len(pair) != 2 or not all(100 <= status <= 599 for status in pair):
                raise ValueError(f"items are [legacy, modern] status pairs, got {pair}")
        return pairs

    @field_validator("headers")
    @classmethod
    def _lower(cls, headers: list[str]) -> list[str]:
        return [h.lower() for h in headers]


class ShadowSettings(_Strict):
    """How a shadowed route mirrors requests to modern.

    Parameters:
        sample_rate: share of eligible requests mirrored, 0–1.
        concurrency: mirrored requests in flight at once for this route, per worker.
        timeout: seconds before a mirrored request counts as `timeout`.
        max_body_bytes: request bodies above this are not buffered: `skipped`.
        upstream: an isolated shadow upstream (a modern on its own database); required
            to mirror non-idempotent methods, never the primary `modern`.
        during_canary: also mirror the legacy share of a canary (on by default: the
            requests legacy still serves keep being compared, safe methods only unless
            an isolated `upstream` is named).
        queue_size: exchanges waiting for a replay slot, per route and worker; when
            full, new ones are dropped (and counted), so a slow modern costs no memory
            growth.
        noise_rate: share of mirrored GETs for which legacy is also asked a second
            time (off the request path), to learn which fields differ on their own.
        noise_relative, noise_absolute: a field path is reported only when its
            modern-vs-legacy difference rate exceeds its legacy-vs-legacy noise rate
            by both margins: `diff > noise * (1 + relative)` and
            `diff - noise > absolute`.
        min_noise_samples: until this many legacy-vs-legacy comparisons exist, no field
            counts as noise (every difference is reported).
        ready_threshold, min_comparisons: `ready_to_promote` needs the Wilson 95% lower
            bound of the match rate at or above the threshold over at least this many
            comparisons of the recent evidence (below).
        recent_comparisons, recent_hours: the sliding evidence `ready_to_promote` is
            judged on: the newest `recent_comparisons` outcomes of the current evidence
            window (default 1000, or twice `min_comparisons` if that is more) that are
            at most `recent_hours` old (null: no age limit). Old
            evidence ages out, so a regressed modern stops being ready and a fixed one
            becomes ready again without a reset.
        version_header: a response header by which modern announces its version
            (lower-case; null: none). A version not seen before on this route starts a
            new evidence window.
        reservoir_size: mismatch samples kept per field path as evidence.
        recheck: a GET or HEAD that would count as `mismatched` is compared once more,
            with legacy asked again after modern answered. When modern agrees with
            that fresher answer, the difference was data changing between the two
            reads (a write in between), not modern; the fresher comparison is judged.
    """

    sample_rate: Annotated[float, Field(ge=0, le=1)] = 1.0
    concurrency: Annotated[int, Field(ge=1, le=1024)] = DEFAULT_SHADOW_CONCURRENCY
    timeout: Annotated[float, Field(gt=0, le=600)] = DEFAULT_SHADOW_TIMEOUT
    max_body_bytes: Annotated[int, Field(ge=0)] = DEFAULT_SHADOW_BODY_CAP
    upstream: str | None = None
    during_canary: bool = True
    queue_size: Annotated[int, Field(ge=1, le=100_000)] = DEFAULT_SHADOW_QUEUE
    noise_rate: Annotated[float, Field(ge=0, le=1)] = DEFAULT_NOISE_RATE
    noise_relative: Annotated[float, Field(ge=0)] = DEFAULT_NOISE_RELATIVE
    noise_absolute: Annotated[float, Field(ge=0, le=1)] = DEFAULT_NOISE_ABSOLUTE
    min_noise_samples: Annotated[int, Field(ge=0)] = DEFAULT_MIN_NOISE_SAMPLES
    ready_threshold: Annotated[float, Field(ge=0, le=1)] = DEFAULT_READY_THRESHOLD
    min_comparisons: Annotated[int, Field(ge=1)] = DEFAULT_MIN_COMPARISONS
    reservoir_size: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_RESERVOIR
    recheck: bool = True
    recent_comparisons: Annotated[int, Field(ge=1, le=100_000)] = DEFAULT_RECENT_COMPARISONS
    recent_hours: Annotated[float, Field(gt=0, le=24 * 366)] | None = DEFAULT_RECENT_HOURS
    version_header: str | None = DEFAULT_VERSION_HEADER

    @field_validator("version_header")
    @classmethod
    def _lower_header(cls, header: str | None) -> str | None:
        return header.lower() if header else None

    @model_validator(mode="before")
    @classmethod
    def _recent_default(cls, data: object) -> object:
        # Unset, the recent evidence holds twice the minimum (at least the default), so
        # raising `min_comparisons` alone never makes a route impossible to promote.
        if isinstance(data, dict) and "recent_comparisons" not in data:
            minimum = data.get("min_comparisons", DEFAULT_MIN_COMPARISONS)
            if isinstance(minimum, int) and minimum * 2 > DEFAULT_RECENT_COMPARISONS:
                return {**data, "recent_comparisons": min(minimum * 2, 100_000)}
        return data

    @model_validator(mode="after")
    def _evidence_fits(self) -> ShadowSettings:
        if self.recent_comparisons < self.min_comparisons:
            raise ValueError(
                f"recent_comparisons ({self.recent_comparisons}) must be at least "
                f"min_comparisons ({self.min_comparisons}): readiness is judged on them"
            )
        return self
