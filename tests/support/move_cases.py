"""The shared table of route moves: what every judge of a backward move must say.

The proxy's reload, `strangler check` (against migration.lock, and against a running
proxy with `--url`) and the ratchet all apply one rule (`proxy.config.moves`); the
tests run each of them over these cases and require the same verdict. Each case is
one route (`m<index>`, path `/m<index>`) moving from `before` to `after`.
`expected` is None (accepted), `backward` (no rollback) or `expired` (its rollback
expired); `ratchet` differs only where the ratchet, as CI, is stricter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from proxy.config import RoutesConfig

LATER = "2099-12-31"
PAST = "2020-01-01"


@dataclass(frozen=True)
class MoveCase:
    name: str
    before: dict[str, Any]
    after: dict[str, Any]
    expected: str | None
    ratchet: str | None = "same"

    @property
    def ratchet_expected(self) -> str | None:
        return self.expected if self.ratchet == "same" else self.ratchet


def canary(percent: float) -> dict[str, Any]:
    return {"stage": "canary", "canary": {"percent": percent}}


def back(stage: dict[str, Any] | str, expires: str | None = LATER) -> dict[str, Any]:
    spec = {"stage": stage} if isinstance(stage, str) else dict(stage)
    rollback: dict[str, Any] = {"reason": "p99 doubled in modern"}
    if expires:
        rollback["expires"] = expires
    return {**spec, "rollback": rollback}


CASES = (
    MoveCase("forward shadow to canary", {"stage": "shadow"}, canary(5), None),
    MoveCase("raising a canary", canary(10), canary(50), None),
    MoveCase("modern back to shadow without reason", {"stage": "modern"}, {"stage": "shadow"},
             "backward"),
    MoveCase("modern back to shadow with reason", {"stage": "modern"}, back("shadow"), None),
    MoveCase("modern back to shadow, rollback expired", {"stage": "modern"},
             back("shadow", PAST), "expired"),
    MoveCase("lowering a canary without reason", canary(50), canary(10), "backward"),
    MoveCase("lowering a canary to 1 with reason", canary(50), back(canary(1)), None),
    MoveCase("lowering a canary, rollback expired", canary(50), back(canary(10), PAST),
             "expired"),
    MoveCase("canary back to shadow without reason", canary(10), {"stage": "shadow"},
             "backward"),
    MoveCase("retired to modern with reason", {"stage": "retired"}, back("modern"), None),
    MoveCase("retired to legacy with reason", {"stage": "retired"}, back("legacy", None), None),
    MoveCase("retired to modern without reason", {"stage": "retired"}, {"stage": "modern"},
             "backward"),
    # Not a move: the proxy and check accept it (check warns); CI's ratchet fails on it.
    MoveCase("a leftover expired rollback", {"stage": "shadow"}, back("shadow", PAST), None,
             ratchet="expired"),
)  # fmt: skip


def route_id(index: int) -> str:
    return f"m{index}"


def routes(which: str, only: set[int] | None = None) -> list[dict[str, Any]]:
    """Every case's route as it stands `before` or `after` (`after` only for `only`)."""
    out = []
    for index, case in enumerate(CASES):
        use_after = which == "after" and (only is None or index in only)
        spec = case.after if use_after else case.before
        out.append({"id": route_id(index), "path": f"/m{index}", **spec})
    return out


def routes_yaml(table: list[dict[str, Any]], legacy: str, modern: str) -> str:
    document = {
        "version": 1,
        "upstreams": {"legacy": {"url": legacy}, "modern": {"url": modern}},
        "routes": table,
    }
    return yaml.safe_dump(document, sort_keys=False)


def config(table: list[dict[str, Any]]) -> RoutesConfig:
    return RoutesConfig.model_validate(
        {"version": 1, "upstreams": {"legacy": {"url": "http://l"}, "modern": {"url": "http://m"}},
         "routes": table}
    )  # fmt: skip


def expected(kind: str = "expected") -> dict[str, str]:
    """Route id → the problem kind each judge must report (accepted cases absent)."""
    verdicts = {route_id(i): getattr(c, kind if kind == "expected" else "ratchet_expected")
                for i, c in enumerate(CASES)}  # fmt: skip
    return {rid: verdict for rid, verdict in verdicts.items() if verdict is not None}
