"""A throwaway repository for ratchet tests: a tiny legacy app, a layered package, files.

Each repository gets package names of its own (`legacy_<hex>`, `modern_<hex>`), so
apps loaded by import string in one test never shadow another test's. The files are
plain text the tests rewrite to introduce one regression at a time, then run the
real CLI (`strangler.cli.main`) with `--root`.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from strangler.cli import main

# (route id, methods, path, stage); methods ["WS"] marks the WebSocket route.
DEFAULT_ROUTES: tuple[tuple[str, list[str], str, str], ...] = (
    ("list-items", ["GET"], "/api/items", "modern"),
    ("create-item", ["POST"], "/api/items", "canary"),
    ("get-item", ["GET"], "/api/items/{item_id}", "shadow"),
    ("delete-item", ["DELETE"], "/api/items/{item_id}", "legacy"),
    ("item-socket", ["WS"], "/ws/items/{item_id}", "legacy"),
    ("healthz", ["GET"], "/healthz", "modern"),
)
# What the scratch legacy app serves at first: (METHOD or WS, path), one per route.
DEFAULT_ENDPOINTS = [(methods[0], path) for _, methods, path, _ in DEFAULT_ROUTES]


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str

    def expect(self, code: int, *named: str) -> Result:
        """The run exited `code` naming each of `named`: in what it printed on stdout (the
        report, the update's lines), or for 2, a usage error, in its one line on stderr."""
        assert self.code == code, f"exit {self.code}:\n{self.out}{self.err}"
        said = self.err if code == 2 else self.out
        missing = [text for text in named if text not in said]
        assert not missing, f"{missing} not in:\n{said}"
        return self


@dataclass
class ScratchRepo:
    """A repository under `root` with a legacy app, a layered modern package and routes."""

    root: Path
    capsys: pytest.CaptureFixture[str]
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    routes: list[dict[str, Any]] = field(default_factory=list)
    ignore_imports: list[str] = field(default_factory=list)

    @property
    def legacy(self) -> str:
        return f"legacy_{self.suffix}"

    @property
    def modern(self) -> str:
        return f"modern_{self.suffix}"

    @property
    def baseline(self) -> Path:
        return self.root / "migration.lock"

    def build(self) -> ScratchRepo:
        self.write_app(DEFAULT_ENDPOINTS)
        self.write_modern(repositories_import_api=False)
        self.routes = [_route(*spec) for spec in DEFAULT_ROUTES]
        self.write_routes()
        self.write_pyproject()
        return self

    def write_app(self, endpoints: Iterable[tuple[str, str]]) -> None:
        """The legacy app: one trivial handler per (METHOD or WS, path)."""
        lines = ["from fastapi import FastAPI, Request, WebSocket", "", "app = FastAPI()", ""]
        for number, (method, path) in enumerate(endpoints):
            if method == "WS":
                lines += [f"@app.websocket({path!r})",
                          f"async def socket_{number}(websocket: WebSocket) -> None:",
                          "    await websocket.close()", ""]  # fmt: skip
            else:
                lines += [f"@app.api_route({path!r}, methods=[{method!r}])",
                          f"async def handler_{number}(request: Request) -> dict:",
                          "    return {}", ""]  # fmt: skip
        package = self.root / self.legacy
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "app.py").write_text("\n".join(lines))

    def write_modern(self, *, repositories_import_api: bool) -> None:
        package = self.root / self.modern
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "api.py").write_text(f"from {self.modern} import services  # noqa\n")
        (package / "services.py").write_text(f"from {self.modern} import repositories  # noqa\n")
        back = f"from {self.modern} import api  # noqa\n" if repositories_import_api else ""
        (package / "repositories.py").write_text(back)

    def write_routes(self) -> None:
        document = {
            "version": 1,
            "upstreams": {"legacy": {"url": "http://127.0.0.1:8001"},
                          "modern": {"url": "http://127.0.0.1:8002"}},
            "routes": self.routes,
        }  # fmt: skip
        (self.root / "routes.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    def write_pyproject(self, *, ratchet: str | None = None) -> None:
        ignore = "".join(f"    {entry!r},\n" for entry in self.ignore_imports)
        table = ratchet if ratchet is not None else (
            f'legacy_app = "{self.legacy}.app:app"\nmodern_package = "{self.modern}"\n'
        )  # fmt: skip
        (self.root / "pyproject.toml").write_text(
            "[tool.importlinter]\n"
            f'root_packages = ["{self.legacy}", "{self.modern}"]\n\n'
            "[[tool.importlinter.contracts]]\n"
            'id = "modern-layers"\n'
            'name = "modern is layered"\n'
            'type = "layers"\n'
            f'layers = ["{self.modern}.api", "{self.modern}.services", '
            f'"{self.modern}.repositories"]\n'
            f"ignore_imports = [\n{ignore}]\n\n"
            "[tool.strangler.ratchet]\n" + table
        )

    def route(self, route_id: str) -> dict[str, Any]:
        return next(r for r in self.routes if r["id"] == route_id)

    def set_route(self, route_id: str, **changes: Any) -> None:
        route = self.route(route_id)
        for key, value in changes.items():
            if value is None:
                route.pop(key, None)
            else:
                route[key] = value
        self.write_routes()

    def run(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(["ratchet", *args, "--root", str(self.root)])
        captured = self.capsys.readouterr()
        return Result(code=code, out=captured.out, err=captured.err)

    def check(self, *args: str) -> Result:
        return self.run("check", *args)

    def update(self, *args: str) -> Result:
        return self.run("update", *args)

    def git(self, *args: str) -> str:
        command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args]
        return subprocess.run(
            command, cwd=self.root, check=True, capture_output=True, text=True
        ).stdout


def _route(route_id: str, methods: list[str], path: str, stage: str) -> dict[str, Any]:
    route: dict[str, Any] = {"id": route_id, "path": path, "stage": stage}
    if methods == ["WS"]:
        route["websocket"] = True
    else:
        route["methods"] = methods
    if stage == "canary":
        route["canary"] = {"percent": 10}
    return route
