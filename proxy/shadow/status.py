"""Turn a route's shared counters into its status and its Prometheus lines.

`compared` counts comparisons that reached a verdict: matched + mismatched + intended
(an `intended` answer is a declared difference, so it counts as agreeing). Errors and
timeouts are not comparisons, but a modern that cannot answer is not ready either:
the shadow evidence holds when the Wilson 95% lower bound of the match rate is at or
above the route's threshold over at least `min_comparisons`, AND errors plus timeouts
stay within the same failure budget (`1 - threshold` of all attempts).

Three sets of counts are shown side by side: lifetime (the top-level fields, never
reset), the current evidence `window` (since the comparison last changed, see
`windows.py`) and its `recent` part, the sliding evidence readiness is judged on.
`ready_to_promote` is true only at stage shadow: a route that has moved on is judged
by its new stage's evidence (`proxy.readiness`), never by its shadow days.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import cast

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from proxy.config import Route
from proxy.exposition import counter, exposition, gauge
from proxy.shadow.noise import NOISE_SAMPLES, compared, is_reported, learning, noisy_fields
from proxy.shadow.outcomes import OUTCOMES
from proxy.shadow.window_records import RECENT_CODES, Window
from proxy.statistics import percentile, wilson_lower_bound

__all__ = [
    "RECHECK_COUNTS",
    "ShadowCollector",
    "build_status",
    "evidence_verdict",
    "metrics_text",
]

# The runner's recheck counters, by the name status and metrics give them.
RECHECK_COUNTS = {"rechecked": "rechecked", "cleared": "recheck_cleared"}

TOP_FIELDS = 20


def _fields(counts: Mapping[str, int], route: Route) -> list[dict[str, object]]:
    kinds: dict[str, list[str]] = {}
    for name in counts:
        if name.startswith("kind:"):
            _, kind, path = name.split(":", 2)
            kinds.setdefault(path, []).append(kind)
    rows = [
        {
            "path": name.removeprefix("diff:"),
            "diffs": count,
            "noise": counts.get("noise:" + name.removeprefix("diff:"), 0),
            "kinds": sorted(kinds.get(name.removeprefix("diff:"), [])),
            "reported": is_reported(name.removeprefix("diff:"), counts, route.shadow),
        }
        for name, count in counts.items()
        if name.startswith("diff:") and count > 0
    ]
    rows.sort(key=lambda r: (-int(r["diffs"]), str(r["path"])))  # type: ignore[call-overload]  # diffs is an int (built above)
    return rows[:TOP_FIELDS]


def _latency(samples: list[float]) -> dict[str, float | None]:
    def ms(q: float) -> float | None:
        value = percentile(samples, q)
        return None if value is None else round(value * 1000, 3)

    return {"p50_ms": ms(50), "p95_ms": ms(95), "samples": len(samples)}


def evidence_verdict(route: Route, counts: Mapping[str, int]) -> tuple[float, bool, str]:
    """(lower bound, holds, reason) of a route's shadow evidence in `counts`."""
    settings = route.shadow
    total = compared(counts)
    good = counts.get("matched", 0) + counts.get("intended", 0)
    bound = wilson_lower_bound(good, total)
    failed = counts.get("modern_error", 0) + counts.get("timeout", 0)
    if total < settings.min_comparisons:
        return bound, False, f"{total} of {settings.min_comparisons} comparisons needed"
    if bound < settings.ready_threshold:
        return bound, False, f"match rate lower bound {bound:.4f} < {settings.ready_threshold}"
    if failed > (1 - settings.ready_threshold) * (total + failed):
        return bound, False, f"{failed} modern errors or timeouts exceed the failure budget"
    return bound, True, "ready"


def _tally(counts: Mapping[str, int]) -> dict[str, object]:
    total = compared(counts)
    good = counts.get("matched", 0) + counts.get("intended", 0)
    out: dict[str, object] = {"compared": total}
    out.update({name: counts.get(name, 0) for name in RECENT_CODES})
    out["match_rate"] = round(good / total, 6) if total else None
    return out


def _window(window: Window, counts: Mapping[str, int]) -> dict[str, object]:
    return {
        "id": window.id,
        "started": window.as_json()["started"],
        "reason": window.reason,
        "version": window.version,
        "upstream": window.upstream,
        **_tally(counts),
    }


def _closed(window: Window, counts: Mapping[str, int]) -> dict[str, object]:
    return {**_window(window, counts), "ended": window.as_json().get("ended"),
            "ended_by": window.ended_by}  # fmt: skip


def _evidence(route: Route, windows: Mapping[str, object] | None) -> dict[str, object]:
    """The window, its recent part and the verdict on it (not ready if unknown)."""
    current = windows.get("current") if windows else None
    if windows is None or not isinstance(current, Window):
        return {
            "window": None,
            "recent": None,
            "history": [],
            "match_rate_lower_bound": 0.0,
            "evidence": {"holds": False, "reason": "no evidence window yet", "enough": False},
        }
    # `Windows.read()` returns these shapes under these keys (a Mapping[str, object]).
    recent: Mapping[str, int] = windows["recent"]  # type: ignore[assignment]  # see above
    bound, holds, reason = evidence_verdict(route, recent)
    closed: list[tuple[Window, Mapping[str, int]]] = windows["closed"]  # type: ignore[assignment]  # see above
    return {
        "window": _window(current, windows["counts"]),  # type: ignore[arg-type]  # see above
        "recent": {
            "comparisons": route.shadow.recent_comparisons,
            "hours": route.shadow.recent_hours,
            **_tally(recent),
            "match_rate_lower_bound": round(bound, 6),
        },
        "history": [_closed(window, counts) for window, counts in closed],
        "match_rate_lower_bound": round(bound, 6),
        # The verdict on the evidence itself, whatever the stage (`proxy.readiness`).
        "evidence": {
            "holds": holds,
            "reason": reason,
            "enough": compared(recent) >= route.shadow.min_comparisons,
        },
    }


def build_status(
    route: Route,
    counts: Mapping[str, int],
    latency: Mapping[str, list[float]],
    windows: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """The `shadow` object of a route in `api/status`; `windows` is `Windows.read()`."""
    total = compared(counts)
    good = counts.get("matched", 0) + counts.get("intended", 0)
    evidence = _evidence(route, windows)
    verdict: dict[str, object] = evidence["evidence"]  # type: ignore[assignment]  # built by _evidence
    holds, reason = bool(verdict["holds"]), str(verdict["reason"])
    if holds and route.stage != "shadow":
        holds, reason = False, f"route is at {route.stage}: its shadow evidence no longer decides"
    status: dict[str, object] = {"compared": total}
    status.update({name: counts.get(name, 0) for name in OUTCOMES})
    status.update(
        {
            "skipped_reasons": {
                k.removeprefix("skipped:"): v for k, v in counts.items() if k.startswith("skipped:")
            },
            "match_rate": round(good / total, 6) if total else None,
            **evidence,
            "ready_to_promote": holds,
            "ready_reason": reason,
            "ready_threshold": route.shadow.ready_threshold,
            "min_comparisons": route.shadow.min_comparisons,
            "noise": {
                "samples": counts.get(NOISE_SAMPLES, 0),
                "min_samples": route.shadow.min_noise_samples,
                "learning": learning(counts, route.shadow),
            },
            "noisy_fields": noisy_fields(counts, route.shadow),
            "recheck": {result: counts.get(key, 0) for result, key in RECHECK_COUNTS.items()},
            "fields": _fields(counts, route),
            "latency": {
                side: _latency(list(latency.get(side, []))) for side in ("legacy", "modern")
            },
        }
    )
    return status


class ShadowCollector(Collector):
    """The shadow's families for one scrape, from the Redis-shared counts: per route its
    lifetime counts and its recent evidence (None: no window yet)."""

    def __init__(
        self, routes: Iterable[tuple[Route, Mapping[str, int], Mapping[str, int] | None]]
    ) -> None:
        self._routes = list(routes)

    def collect(self) -> Iterator[Metric]:
        outcomes = counter(
            "strangler_shadow_outcomes_total", "Shadow outcomes per route.", "route", "outcome"
        )
        rate = gauge("strangler_shadow_match_rate", "Share of comparisons agreeing.", "route")
        recent_comparisons = gauge(
            "strangler_shadow_recent_comparisons",
            "Comparisons in the recent evidence readiness is judged on.",
            "route",
        )
        lower_bound = gauge(
            "strangler_shadow_match_rate_lower_bound",
            "Wilson 95% lower bound of the match rate over the recent evidence.",
            "route",
        )
        ready_to_promote = gauge(
            "strangler_shadow_ready_to_promote",
            "1 when a route at shadow is ready to promote (its recent evidence holds).",
            "route",
        )
        rechecks = counter(
            "strangler_shadow_rechecks_total",
            "Would-be mismatches compared again against legacy (rechecked), and those "
            "then agreeing (cleared).",
            "route",
            "result",
        )
        fields = counter(
            "strangler_shadow_field_differences_total",
            "Comparisons in which a field path differed (top paths per route).",
            "route",
            "path",
        )
        for route, counts, recent in self._routes:
            for name in OUTCOMES:
                outcomes.add_metric([route.id, name], counts.get(name, 0))
            for result, key in RECHECK_COUNTS.items():
                rechecks.add_metric([route.id, result], counts.get(key, 0))
            total = compared(counts)
            good = counts.get("matched", 0) + counts.get("intended", 0)
            bound, ready, _ = evidence_verdict(route, recent or {})
            recent_comparisons.add_metric([route.id], compared(recent or {}))
            if total:
                rate.add_metric([route.id], round(good / total, 6))
            lower_bound.add_metric([route.id], round(bound, 6))
            ready_to_promote.add_metric([route.id], int(ready and route.stage == "shadow"))
            for row in _fields(counts, route):
                fields.add_metric([route.id, str(row["path"])], cast(int, row["diffs"]))
        yield from (outcomes, rate, recent_comparisons, lower_bound, ready_to_promote)
        yield from (rechecks, fields)


def metrics_text(
    routes: Iterable[tuple[Route, Mapping[str, int], Mapping[str, int] | None]],
) -> str:
    """Prometheus exposition text for shadowed routes (see `ShadowCollector`)."""
    return exposition(ShadowCollector(routes)).decode()
