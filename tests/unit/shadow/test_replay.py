"""Which request targets a mirror can send byte for byte, and as what."""

from __future__ import annotations

import dataclasses

import pytest

from proxy.exchange import CapturedRequest
from proxy.shadow.replay import NotMirrorable, sendable_target

REQUEST = CapturedRequest("r", "GET", "/a", "", {}, (), b"", "rid")


@pytest.mark.parametrize(
    ("raw_path", "query", "sent"),
    [
        ("/abc%3Fx=1", "", "/abc%3Fx=1"),  # decoded, this would become a query
        ("/%252e%252e", "", "/%252e%252e"),
        ("/a%23b", "q=%23", "/a%23b?q=%23"),
        ("/a%20b%00", "", "/a%20b%00"),
        ("/caf\xc3\xa9", "", "/café"),  # UTF-8 bytes: aiohttp writes them back as they were
    ],
)
def test_the_raw_target_is_sent_never_the_decoded_path(
    raw_path: str, query: str, sent: str
) -> None:
    request = dataclasses.replace(REQUEST, raw_path=raw_path, query_string=query)
    assert sendable_target(request) == sent
    assert sendable_target(request).encode() == f"{raw_path}?{query}".rstrip("?").encode("latin-1")


@pytest.mark.parametrize("raw_path", ["/caf\xe9", "/a b", "/a#b", "/a\x00b", "/a\x7f"])
def test_a_target_no_client_could_send_unchanged_is_not_mirrorable(raw_path: str) -> None:
    with pytest.raises(NotMirrorable):
        sendable_target(dataclasses.replace(REQUEST, raw_path=raw_path))


def test_a_request_built_without_its_raw_path_sends_its_path() -> None:
    assert sendable_target(dataclasses.replace(REQUEST, path="/x", query_string="y=1")) == "/x?y=1"
