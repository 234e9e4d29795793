"""routes.yaml text the proxy's unit tests build on: a valid head, routes appended."""

from __future__ import annotations

ROUTES_HEAD = """\
version: 1
upstreams:
  legacy: {url: "http://127.0.0.1:8001"}
  modern: {url: "http://127.0.0.1:8002"}
routes:
"""
