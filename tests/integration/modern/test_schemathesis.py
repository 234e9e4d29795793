"""Schemathesis against modern's OpenAPI, through the proxy: no request gets a 5xx.

The proxy runs with a route table generated from modern's own OpenAPI (every
operation at stage `modern`, plus `/openapi.json`, from which Schemathesis loads the
schema through the proxy). Schemathesis generates requests for every operation —
valid and invalid bodies, parameters and ids — with a caller's bearer token; half
of the cases aim their path ids at real objects (a user, a room, messages), so the
writes and reads behind the 404s run too; that room also holds values only legacy
stores (NaN text and the like), which failed 4 of these operations before modern
read stored documents tolerantly. Bounded in examples per operation so the
module stays well under a minute; `scripts/schemathesis_modern.py` runs a longer pass
with Schemathesis' own CLI.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from modern.app import app
from tests.integration.modern.client import PASSWORD, Account, Api
from tests.support.legacy_oddities import store_legacy_oddities
from tests.support.openapi_proxy import proxy_in_front_of
from tests.support.servers import RunningServer

EXAMPLES_PER_OPERATION = 12
_turn = itertools.count()


@pytest.fixture(scope="module")
def proxied(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    routes_file = tmp_path_factory.mktemp("schemathesis") / "routes.yaml"
    with proxy_in_front_of(server.url, routes_file) as proxy:
        yield proxy.url


@pytest.fixture(scope="module")
def world(proxied: str, module_db: str) -> Iterator[dict[str, Any]]:
    """A caller through the proxy, with a room and messages to aim ids at; the room
    also holds what legacy may have stored (NaN, a number and an object for text, a
    profile with Infinity and a `javascript:` avatar), so reads render those too."""
    with httpx.Client(base_url=proxied, timeout=30) as http:
        api = Api(http)
        me, other = api.register("st"), api.register("st_other")
        room = api.room(me, "st-room")
        api.join(other, room["id"])
        messages = [api.post(me, room["id"], f"m{i}")["id"] for i in range(4)]
        messages += store_legacy_oddities(module_db, room["id"], other.id)
        yield {"me": me, "api": api, "ids": {
            "user_id": me.id, "room_id": room["id"], "message_id": messages,
        }}  # fmt: skip


@pytest.fixture(scope="module")
def api_schema(proxied: str) -> Any:
    return schemathesis.openapi.from_url(f"{proxied}/openapi.json")


def aim_at_real_objects(case: Any, ids: dict[str, Any]) -> None:
    """Every other case: path ids of existing objects instead of generated strings."""
    if not case.path_parameters or next(_turn) % 2:
        return
    for name in case.path_parameters:
        value = ids.get(name)
        if isinstance(value, list):
            value = value[next(_turn) % len(value)]
        if value is not None:
            case.path_parameters[name] = value


# Parametrized from the app's OpenAPI at collection time (building it connects to
# nothing); each test then draws its cases from the schema served through the proxy.
# Schemathesis' own pytest loader (`from_fixture`) fails on pytest 9 (it reads a
# private `_nodeid`), so its strategies are driven by Hypothesis here.
OPERATIONS = [
    (method.upper(), path)
    for path, operations in sorted(app.openapi()["paths"].items())
    for method in operations
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_no_5xx_through_the_proxy(
    method: str,
    path: str,
    data: st.DataObject,
    api_schema: Any,
    proxied: str,
    world: dict[str, Any],
) -> None:
    operation = api_schema[path][method]
    case = data.draw(
        st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    me: Account = world["me"]
    token = me.token
    if path == "/api/auth/logout":  # a logout ends the session: give it its own
        reply = world["api"].http.post(
            "/api/auth/login", json={"username": me.username, "password": PASSWORD}
        )
        token = reply.json()["token"]
    aim_at_real_objects(case, world["ids"])
    case.call_and_validate(
        base_url=proxied,
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error],
        timeout=30,
    )
