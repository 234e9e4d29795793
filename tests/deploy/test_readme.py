"""The README's Deployment section says what the deployment files do.

Read from both sides: every variable docker-compose.yml interpolates, every service,
the profile, the image's user and health check, the drain timeout and the smoke
script's checks appear in the README as they are in the files.
"""

from __future__ import annotations

import re

import pytest
import yaml

from strangler.cli import build_parser
from tests.support.servers import REPO_ROOT

COMPOSE = (REPO_ROOT / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index("\n## Deployment\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_every_compose_variable_and_service_is_documented(section: str) -> None:
    variables = set(re.findall(r"\$\{(\w+)", COMPOSE))
    assert variables >= {"STRANGLER_ADMIN_TOKEN", "STRANGLER_ROUTES_DIR", "STRANGLER_PUBLISH"}
    for variable in variables:
        assert f"`{variable}`" in section, variable
    services = yaml.safe_load(COMPOSE)["services"]
    for name, service in services.items():
        assert f"`{name}`" in section, name
        for profile in service.get("profiles", []):
            assert f"--profile {profile}" in section
    for default in re.findall(r"\$\{(\w+):-([^}]+)\}", COMPOSE):
        assert f"| `{default[0]}` |" in section and f"`{default[1]}`" in section, default


def test_the_image_facts_match_the_dockerfile(section: str) -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    (user,) = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert f"`{user}`" in section
    for fact in ("requirements/runtime.lock", "requirements/dev.lock", "STRANGLER_HEALTH_FILE"):
        assert fact in dockerfile + (REPO_ROOT / "Makefile").read_text()
        assert fact in section
    assert "strangler healthcheck" in dockerfile and "`strangler healthcheck`" in section
    assert "make lock" in section and "\nlock:" in (REPO_ROOT / "Makefile").read_text()


def test_the_drain_timeout_and_grace_period_match(
    section: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STRANGLER_DRAIN_TIMEOUT", raising=False)
    default = build_parser().parse_args(["serve", "proxy"]).drain_timeout
    assert f"default {default:g} s" in section
    grace = set(re.findall(r"stop_grace_period: (\d+s)", COMPOSE))
    assert len(grace) == 1 and f"`stop_grace_period: {grace.pop()}`" in section
    assert "`STRANGLER_DRAIN_TIMEOUT`" in section and "`--drain-timeout`" in section
    (health_file,) = re.findall(
        r"STRANGLER_HEALTH_FILE=(\S+)", (REPO_ROOT / "Dockerfile").read_text()
    )
    assert f"`{health_file}`" in section
    assert (
        "`strangler restart`" in section
        and "docker compose exec proxy strangler restart" in section
    )


def test_the_smoke_script_checks_what_the_readme_lists(section: str) -> None:
    script = (REPO_ROOT / "scripts/compose_smoke.sh").read_text()
    steps = re.findall(r'^step "(\d)\. ', script, re.MULTILINE)
    listed = re.findall(r"\((\d)\) ", section)
    assert steps == listed and len(steps) >= 5
