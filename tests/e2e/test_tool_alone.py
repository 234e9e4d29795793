"""The tool on its own: the wheel, in a clean virtual environment, on someone else's app.

The wheel is built from this checkout and installed (with the `ratchet` extra) into
a new venv that sees nothing of the development setup. In a temporary project with
a small foreign shop app, `strangler check`, `strangler ratchet` and `strangler serve
proxy` work, and the worked example (`legacy`, `modern`) is neither installed nor
imported. Installing reads the package index pip is configured with (its cache
makes it quick); ~20 s in all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from strangler.children import spawn, stop_group
from strangler.embedded_db import free_port
from tests.support.servers import REPO_ROOT

pytestmark = pytest.mark.slow

SHOP_APP = """\
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def items(request):
    return JSONResponse([{"id": 1, "name": "teapot"}], headers={"x-served-by": "shop"})


async def item(request):
    return JSONResponse({"id": int(request.path_params["item_id"]), "name": "teapot"})


async def orders(request):
    return JSONResponse({"ordered": (await request.json())["item"]}, status_code=201)


async def healthz(request):
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[
    Route("/items", items),
    Route("/items/{item_id}", item),
    Route("/orders", orders, methods=["POST"]),
    Route("/healthz", healthz),
])
"""

SHOP_ROUTES = """\
version: 1
upstreams:
  legacy: {url: "http://127.0.0.1:9"}
  modern: {url: "http://127.0.0.1:9"}
routes:
  - {id: items, methods: [GET], path: /items, stage: legacy}
  - {id: item, methods: [GET], path: "/items/{item_id}", stage: legacy}
  - {id: orders, methods: [POST], path: /orders, stage: legacy}
  - {id: healthz, methods: [GET], path: /healthz, stage: legacy}
"""

SHOP_PYPROJECT = """\
[project]
name = "shop"
version = "1"

[tool.strangler.ratchet]
legacy_app = "shop.app:app"
modern_package = ""
"""

# Run in the venv's Python: a CLI command in process, then which packages it imported.
RUN_AND_LIST_MODULES = """\
import json, sys
from strangler.cli import main
code = main(sys.argv[1:])
tops = sorted({name.partition(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "modules": tops}))
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the built wheel and its dependencies."""
    base = tmp_path_factory.mktemp("tool-alone")
    wheels = base / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--quiet", "--wheel-dir", str(wheels), str(REPO_ROOT)], cwd=base)  # fmt: skip
    (wheel,) = wheels.glob("strangler-*.whl")
    tops = {name.partition("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {"proxy", "strangler"} <= tops
    assert not tops & {"legacy", "modern", "tests", "scripts"}, tops
    venv = base / "venv"
    # No pip of its own: this pip installs into it (`--python`), without compiling
    # byte code up front; both only save time, the environment is as clean.
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
          "--quiet", "--no-compile", "--only-binary", ":all:", f"{wheel}[ratchet]"],
         cwd=base)  # fmt: skip
    return venv


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A foreign project: its own app, routes.yaml and pyproject; nothing of ours."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "app.py").write_text(SHOP_APP)
    (tmp_path / "routes.yaml").write_text(SHOP_ROUTES)
    (tmp_path / "pyproject.toml").write_text(SHOP_PYPROJECT)
    return tmp_path


def test_the_example_apps_are_not_installed(venv: Path, shop: Path) -> None:
    probe = "import importlib.util as u; print([u.find_spec(n) is None for n in EXAMPLE])"
    probe = probe.replace("EXAMPLE", repr(("legacy", "modern")))
    found = _run([str(venv / "bin" / "python"), "-c", probe], cwd=shop)
    assert found.stdout.strip() == "[True, True]"


def test_check_and_ratchet_work_on_a_foreign_app(venv: Path, shop: Path) -> None:
    check = _strangler(venv, shop, "check")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: 4 routes")

    update = _in_process(venv, shop, "ratchet", "update")
    assert update["code"] == 0
    assert (shop / "migration.lock").is_file()
    ratchet = _in_process(venv, shop, "ratchet", "check", "--format", "json")
    assert ratchet["code"] == 0
    # The shop app was imported (it was named); nothing of the worked example was.
    assert not {"legacy", "modern"} & set(ratchet["modules"])

    (shop / "routes.yaml").write_text(SHOP_ROUTES.replace("  - {id: orders", "  # {id: orders"))
    gone = _strangler(venv, shop, "ratchet", "check")
    assert gone.returncode == 1 and "POST /orders" in gone.stdout


def test_the_ratchet_without_settings_says_what_it_needs(venv: Path, shop: Path) -> None:
    (shop / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1"\n')
    result = _in_process(venv, shop, "ratchet", "check")
    assert result["code"] == 2
    assert not {"legacy", "modern", "shop"} & set(result["modules"])
    plain = _strangler(venv, shop, "ratchet", "check")
    assert plain.returncode == 2
    assert "legacy_app" in plain.stderr and "legacy_openapi" in plain.stderr


def test_serve_proxy_forwards_to_the_foreign_app(venv: Path, shop: Path) -> None:
    with _served(venv, shop, ["-m", "uvicorn", "shop.app:app"], "/healthz", {}) as legacy:
        env = {"STRANGLER_ROUTES": str(shop / "routes.yaml"), "LEGACY_URL": legacy,
               "MODERN_URL": legacy, "STRANGLER_ADMIN_TOKEN": "t0ken"}  # fmt: skip
        command = ["-m", "strangler.cli", "serve", "proxy"]
        with _served(venv, shop, command, "/_strangler/healthz", env) as proxy:
            reply = httpx.get(proxy + "/items/7", timeout=10)
            assert reply.status_code == 200 and reply.json() == {"id": 7, "name": "teapot"}
            order = httpx.post(proxy + "/orders", json={"item": 7}, timeout=10)
            assert order.status_code == 201 and order.json() == {"ordered": 7}
            status = httpx.get(
                proxy + "/_strangler/api/status",
                headers={"Authorization": "Bearer t0ken"},
                timeout=10,
            )
            assert status.status_code == 200
            assert {r["id"] for r in status.json()["routes"]} >= {"items", "orders"}


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The machine's environment less anything pointing back into this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**env, "PYTHONUNBUFFERED": "1", **(extra or {})}


def _run(command: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
    return result


def _strangler(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "strangler"), *args],
        cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _in_process(venv: Path, cwd: Path, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", RUN_AND_LIST_MODULES, *args],
        cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextmanager
def _served(
    venv: Path, cwd: Path, args: list[str], ready: str, env: dict[str, str]
) -> Iterator[str]:
    """A server run with the venv's Python in `cwd`; yields its URL once `ready` is 200."""
    port = free_port()
    command = [str(venv / "bin" / "python"), *args, "--port", str(port)]
    process = spawn(command, env=_clean_env(env), cwd=cwd)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"{command} exited with {process.returncode}"
            try:
                if httpx.get(url + ready, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{command} did not answer {ready}"
            time.sleep(0.1)
        yield url
    finally:
        stop_group(process)
