"""The edge's limits come from the environment, with defaults, and bad values are named."""

from __future__ import annotations

import pytest
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

import proxy.edge
from proxy.edge.limits import ENV_VARS, EdgeLimits
from proxy.settings import Settings
from strangler.stack import EDGE_PROTOCOL, SERVICES, uvicorn_options


def test_defaults_are_in_the_range_nginx_and_envoy_ship_with() -> None:
    limits = EdgeLimits.from_env({})
    assert limits == EdgeLimits()
    assert limits.max_request_line == 8 * 1024
    assert 16 * 1024 <= limits.max_header_bytes <= 32 * 1024
    assert 60 * 1024 <= limits.max_head_bytes <= 64 * 1024
    assert limits.max_headers == 100
    assert limits.max_connections_per_client == 0  # off: behind a balancer all share one address


def test_every_field_has_a_variable_and_each_is_read() -> None:
    values = {
        "STRANGLER_MAX_REQUEST_LINE": "4096",
        "STRANGLER_MAX_HEADER_BYTES": "2048",
        "STRANGLER_MAX_HEAD_BYTES": "8192",
        "STRANGLER_MAX_HEADERS": "20",
        "STRANGLER_HEADER_TIMEOUT": "1.5",
        "STRANGLER_BODY_TIMEOUT": "2.5",
        "STRANGLER_BODY_MIN_RATE": "0",
        "STRANGLER_BODY_BUFFER_BYTES": "65536",
        "STRANGLER_MAX_CONNECTIONS_PER_CLIENT": "7",
    }
    assert set(values) == set(ENV_VARS.values())
    limits = Settings.from_env(values).edge
    assert (limits.max_request_line, limits.max_header_bytes, limits.max_head_bytes) == (
        4096,
        2048,
        8192,
    )
    assert (limits.max_headers, limits.header_timeout, limits.body_timeout) == (20, 1.5, 2.5)
    assert (limits.body_min_rate, limits.body_buffer_bytes) == (0, 65536)
    assert limits.max_connections_per_client == 7


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STRANGLER_MAX_HEADERS", "many", "must be a whole number"),
        ("STRANGLER_HEADER_TIMEOUT", "soon", "must be a number"),
        ("STRANGLER_HEADER_TIMEOUT", "0", "must be more than 0"),
        ("STRANGLER_BODY_TIMEOUT", "nan", "must be more than 0"),
        ("STRANGLER_MAX_HEAD_BYTES", "-1", "must be more than 0"),
        ("STRANGLER_BODY_MIN_RATE", "-5", "must be 0 or more"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"{variable} {message}"):
        EdgeLimits.from_env({variable: value})


def test_the_public_surface_is_pinned_and_serve_names_the_protocol() -> None:
    assert proxy.edge.__all__ == ["EdgeLimits", "EdgeProtocol", "current_limits"]
    protocol = import_from_string(EDGE_PROTOCOL)
    assert protocol is proxy.edge.EdgeProtocol and issubclass(protocol, HttpToolsProtocol)
    assert SERVICES["proxy"].http == EDGE_PROTOCOL
    for app, http in (("proxy.app:app", EDGE_PROTOCOL), ("legacy.app:app", "httptools")):
        options = uvicorn_options(app)
        assert options[options.index("--http") + 1] == http
