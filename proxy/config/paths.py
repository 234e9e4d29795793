"""Path templates: `/api/rooms/{room_id}/messages` parsed once, matched many times.

A template is a sequence of segments, each a literal or a `{param}`. Matching splits
the request path on `/` and compares segment by segment, so it costs one split and a
few string compares — no regular expressions on the hot path.

Specificity decides between templates that match the same path: compared segment by
segment from the left, a literal beats a parameter (`/api/users/me` beats
`/api/users/{user_id}`). Two templates with the same shape (same segment count, same
literals at the same places, parameters at the same places) would be ambiguous, so
the loader rejects them when their methods overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PathTemplate", "TemplateError"]

_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%-]+$")


class TemplateError(ValueError):
    """A path template that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """A parsed path template.

    Parameters:
        template: the text, e.g. `/api/rooms/{room_id}`.
        segments: literal text per segment, or None where a parameter stands.
        params: parameter names in order of appearance.
    """

    template: str
    segments: tuple[str | None, ...]
    params: tuple[str, ...]

    @classmethod
    def parse(cls, template: str) -> PathTemplate:
        if not template.startswith("/"):
            raise TemplateError(f"path must start with '/': {template!r}")
        if template != "/" and template.endswith("/"):
            raise TemplateError(f"path must not end with '/': {template!r}")
        segments: list[str | None] = []
        params: list[str] = []
        for part in template.split("/")[1:] if template != "/" else []:
            param = _PARAM.match(part)
            if param:
                name = param.group(1)
                if name in params:
                    raise TemplateError(f"parameter {{{name}}} appears twice in {template!r}")
                params.append(name)
                segments.append(None)
            elif _LITERAL.match(part):
                segments.append(part)
            else:
                raise TemplateError(f"invalid path segment {part!r} in {template!r}")
        return cls(template=template, segments=tuple(segments), params=tuple(params))

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Match a path already split on '/' (without the leading empty part).

        Returns the parameter values, or None. Callers split once and try every
        candidate template with the same segment count.
        """
        if len(parts) != len(self.segments):
            return None
        values: dict[str, str] | None = None
        names = iter(self.params)
        for literal, part in zip(self.segments, parts, strict=True):
            if literal is None:
                if not part:
                    return None
                if values is None:
                    values = {}
                values[next(names)] = part
            elif literal != part:
                return None
        return values if values is not None else {}

    @property
    def specificity(self) -> tuple[int, ...]:
        """Sort key: larger is more specific (a literal is 1, a parameter 0, left first)."""
        return tuple(0 if segment is None else 1 for segment in self.segments)

    @property
    def shape(self) -> tuple[str | None, ...]:
        """Templates with equal shapes match exactly the same paths."""
        return self.segments

    def __str__(self) -> str:
        return self.template
