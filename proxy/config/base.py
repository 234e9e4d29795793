"""The base of every routes.yaml model: strict, frozen, unknown keys rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Frozen, strict types, and a typo in a key is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
