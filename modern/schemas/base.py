"""Shared model configuration and field types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Wire timestamps: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
Timestamp = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
ObjectIdStr = Annotated[str, Field(pattern=r"^[0-9a-f]{24}$")]


class Strict(BaseModel):
    """Strict types (no "1" for 1) and unknown keys rejected."""

    model_config = ConfigDict(strict=True, extra="forbid")
