"""docker-compose.yml: valid against the Compose Specification, and safe to run as is.

`compose-spec.json` beside this file is the Compose Specification's JSON schema
(compose-spec/compose-spec, `schema/compose-spec.json`, commit 170098b), vendored so
the check runs offline. Beyond the schema, the properties the deployment relies on:
health checks everywhere and start order by health, only the proxy published, no
default for any secret, the routes directory mounted (hot reload), a replica set for
MongoDB, persistent Redis, restart policies and resource limits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.servers import REPO_ROOT

HERE = Path(__file__).resolve().parent
COMPOSE = REPO_ROOT / "docker-compose.yml"
DRAIN_TIMEOUT = 30  # strangler serve's default (--drain-timeout)
SECRET_WORDS = ("TOKEN", "PASSWORD", "SECRET", "KEY")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((HERE / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    problems = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose)]
    assert problems == []
    # The schema is strict enough to catch a typo (the check can fail).
    broken = {**compose, "services": {**compose["services"], "proxy": {"imagee": "x"}}}
    assert list(validator.iter_errors(broken))


def test_every_service_has_a_health_check_a_restart_policy_and_limits(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), name
        assert service.get("restart") in {"always", "unless-stopped", "on-failure"}, name
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert limits.get("cpus") and limits.get("memory"), name


def test_services_start_once_what_they_need_is_healthy(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        for needed, how in (service.get("depends_on") or {}).items():
            assert how == {"condition": "service_healthy"}, f"{name} -> {needed}"
    assert set(services["proxy"]["depends_on"]) == {"legacy", "modern", "redis"}
    assert set(services["modern"]["depends_on"]) == {"mongo", "redis"}


def test_only_the_proxy_is_published(services: dict[str, dict[str, Any]]) -> None:
    published = {name for name, s in services.items() if s.get("ports") and not s.get("profiles")}
    assert published == {"proxy"}
    for name, service in services.items():
        assert "expose" not in service or name == "proxy"
        if service.get("profiles"):  # opt-in extras: this machine only
            assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", [])), name


def test_no_secret_has_a_default() -> None:
    text = COMPOSE.read_text()
    defaulted = re.findall(r"\$\{(\w+):?-", text)
    assert defaulted, "the check sees defaults"
    assert not [v for v in defaulted if any(word in v for word in SECRET_WORDS)]
    assert "${STRANGLER_ADMIN_TOKEN:?" in text  # required: `up` fails without it
    assert "change-me" not in text


def test_the_routes_directory_is_mounted_for_hot_reload(
    services: dict[str, dict[str, Any]],
) -> None:
    proxy = services["proxy"]
    routes = Path(proxy["environment"]["STRANGLER_ROUTES"])
    (mount,) = [v for v in proxy["volumes"] if v["target"] == str(routes.parent)]
    # A directory mount: a file renamed over routes.yaml is seen; a file mount pins the inode.
    assert mount["type"] == "bind" and mount["read_only"] is True
    source = mount["source"]
    default = re.fullmatch(r"\$\{STRANGLER_ROUTES_DIR:-(.+)\}", source)
    assert default is not None
    assert (REPO_ROOT / default.group(1) / routes.name).is_file()


def test_mongodb_is_a_replica_set_that_compose_initiates(
    services: dict[str, dict[str, Any]],
) -> None:
    mongo = services["mongo"]
    assert mongo["image"].startswith("mongo:7")
    replica_set = mongo["command"][mongo["command"].index("--replSet") + 1]
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate(" in check and f"_id: '{replica_set}'" in check
    assert "isWritablePrimary" in check  # healthy once primary: change streams work
    for app in ("legacy", "modern"):
        uri = services[app]["environment"]["MONGODB_URI"]
        assert uri.startswith("mongodb://mongo:27017/") and f"replicaSet={replica_set}" in uri


def test_redis_persists_on_a_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    volume, target = redis["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]


def test_the_apps_run_from_one_image_and_drain_before_a_kill(
    services: dict[str, dict[str, Any]],
) -> None:
    for app in ("legacy", "modern", "proxy"):
        service = services[app]
        assert service["build"] == "." and service["image"] == "strangler:local"
        assert service["command"][:3] == ["strangler", "serve", app]
        assert service["healthcheck"]["test"] == ["CMD", "strangler", "healthcheck"]
        assert service["init"] is True  # signals reach the master; exited processes are reaped
        grace = int(str(service["stop_grace_period"]).removesuffix("s"))
        assert grace > DRAIN_TIMEOUT


def test_the_monitoring_profile_scrapes_the_proxy(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["grafana"]["profiles"] == ["monitoring"]
    config = yaml.safe_load((REPO_ROOT / "deploy/prometheus/prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/_strangler/metrics"
    assert job["static_configs"][0]["targets"] == ["proxy:8000"]
    secret = services["prometheus"]["secrets"][0]
    assert job["authorization"]["credentials_file"] == f"/run/secrets/{secret}"
    assert compose["secrets"][secret] == {"environment": "STRANGLER_ADMIN_TOKEN"}
    grafana_mounts = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    for source in grafana_mounts:
        assert (REPO_ROOT / source).is_dir(), source
    provider = yaml.safe_load(
        (REPO_ROOT / "deploy/grafana/provisioning/dashboards/strangler.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] in grafana_mounts.values()
