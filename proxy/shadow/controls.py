"""Runtime controls: sample rate, concurrency and timeout changed without a reload.

An operator turning shadowing down during an incident should not have to edit
routes.yaml. An override is stored in Redis (`shadow:{route}:overrides`) so every
worker applies it (each refreshes overrides in its background loop); the worker that
received the change applies it at once. A `null` value removes an override, so the
route falls back to its routes.yaml setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import redis.asyncio
from pydantic import BaseModel, ConfigDict, Field

from proxy.config import Route
from proxy.redis_replies import text

__all__ = ["CONTROL_FIELDS", "Effective", "Overrides", "ShadowOverride"]

CONTROL_FIELDS = ("sample_rate", "concurrency", "timeout")


class ShadowOverride(BaseModel):
    """The body of `POST api/routes/{id}/shadow`; every field optional, null clears it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sample_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    concurrency: Annotated[int, Field(ge=1, le=1024)] | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] | None = None


@dataclass(frozen=True, slots=True)
class Effective:
    """The settings in force for a route: routes.yaml's, overridden at runtime."""

    sample_rate: float
    concurrency: int
    timeout: float


class Overrides:
    """This worker's copy of the runtime overrides, kept in step with Redis."""

    def __init__(self, client: redis.asyncio.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = key_prefix
        self._values: dict[str, dict[str, float]] = {}

    def key(self, route_id: str) -> str:
        return f"{self._prefix}shadow:{route_id}:overrides"

    def of(self, route_id: str) -> dict[str, float]:
        return dict(self._values.get(route_id, {}))

    def sample_rate(self, route: Route) -> float:
        """The sample rate alone: asked on the data path for every eligible request."""
        values = self._values.get(route.id)
        if values is None or "sample_rate" not in values:
            return route.shadow.sample_rate
        return values["sample_rate"]

    def effective(self, route: Route) -> Effective:
        values = self._values.get(route.id)
        settings = route.shadow
        if not values:
            return Effective(settings.sample_rate, settings.concurrency, settings.timeout)
        return Effective(
            sample_rate=values.get("sample_rate", settings.sample_rate),
            concurrency=int(values.get("concurrency", settings.concurrency)),
            timeout=values.get("timeout", settings.timeout),
        )

    async def apply(self, route_id: str, change: ShadowOverride) -> dict[str, float]:
        """Store the fields present in the request body (null deletes); return the result."""
        sent = change.model_fields_set
        to_set = {f: getattr(change, f) for f in sent if getattr(change, f) is not None}
        to_clear = [f for f in sent if getattr(change, f) is None]
        async with self._redis.pipeline(transaction=True) as pipe:
            if to_set:
                pipe.hset(self.key(route_id), mapping={k: repr(v) for k, v in to_set.items()})
            if to_clear:
                pipe.hdel(self.key(route_id), *to_clear)
            pipe.hgetall(self.key(route_id))
            results = await pipe.execute()
        self._values[route_id] = _parse(results[-1])
        return self.of(route_id)

    async def refresh(self, route_ids: list[str]) -> None:
        if not route_ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for route_id in route_ids:
                pipe.hgetall(self.key(route_id))
            results = await pipe.execute()
        self._values = {
            r: v for r, raw in zip(route_ids, results, strict=True) if (v := _parse(raw))
        }


def _parse(raw: dict[bytes | str, bytes | str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in raw.items():
        name = text(key)
        if name in CONTROL_FIELDS:
            out[name] = float(value)
    return out
