"""`strangler up`'s port check: a listener blocks a port, the TIME_WAIT left by a
stack that just stopped does not (uvicorn binds with SO_REUSEADDR, and so do we)."""

from __future__ import annotations

import socket

from strangler.stack import port_in_use


def _listener() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_listening_port_is_in_use() -> None:
    with _listener() as server:
        assert port_in_use(server.getsockname()[1])


def test_a_port_left_in_time_wait_by_a_closed_server_is_free() -> None:
    server = _listener()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end goes to TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    assert not port_in_use(port)
