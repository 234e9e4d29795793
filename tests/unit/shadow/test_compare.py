"""Whole-answer comparison: status, equivalent statuses, headers, Link pagination, encodings."""

from __future__ import annotations

import gzip
import json
import zlib

from proxy.config import CompareRules
from proxy.exchange import CapturedResponse
from proxy.shadow import compare_responses

JSON = (("content-type", "application/json"),)


def answer(
    body: object, status: int = 200, headers: tuple[tuple[str, str], ...] = JSON
) -> CapturedResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return CapturedResponse(status, headers, raw, 0.01, "legacy")


def rules(**values: object) -> CompareRules:
    return CompareRules.model_validate(values)


def test_wrong_status_is_a_status_difference_only() -> None:
    verdict = compare_responses(answer({"a": 1}), answer({"b": 2}, 404), rules())
    assert [(d.kind, d.path, d.legacy, d.modern) for d in verdict.differences] == [
        ("status", "@status", 200, 404)
    ]
    assert not verdict.intended


def test_equivalent_statuses_are_intended() -> None:
    legacy = answer(b"Internal Server Error", 500, (("content-type", "text/plain"),))
    modern = answer({"error": {"code": "validation_error"}}, 422)
    verdict = compare_responses(legacy, modern, rules(equivalent_statuses=[[500, 422]]))
    assert verdict.intended and verdict.differences == []
    assert not compare_responses(legacy, modern, rules()).intended


def test_only_allow_listed_headers_are_compared() -> None:
    legacy = answer([1], headers=(*JSON, ("x-a", "1")))
    modern = answer([1], headers=(("content-type", "text/json"), ("x-a", "2")))
    diffs = compare_responses(legacy, modern, rules(headers=["x-a"])).differences
    assert [(d.kind, d.path) for d in diffs] == [("header", "@headers.x-a"), ("type", "$")]


def test_link_header_is_ignored_unless_allow_listed() -> None:
    legacy = answer([{"id": "a"}, {"id": "b"}])
    modern = answer([{"id": "a"}], headers=(*JSON, ("link", '</x?cursor=1>; rel="next"')))
    assert compare_responses(legacy, modern, rules(lists="prefix")).differences == []
    diffs = compare_responses(legacy, modern, rules(lists="prefix", headers=["link"])).differences
    assert [d.kind for d in diffs] == ["header"]


def test_short_page_without_next_link_hides_items() -> None:
    legacy = answer([{"id": "a"}, {"id": "b"}])
    modern = answer([{"id": "a"}])
    diffs = compare_responses(legacy, modern, rules(lists="prefix")).differences
    assert [(d.kind, d.path, d.legacy, d.modern) for d in diffs] == [("length", "$", 2, 1)]
    assert compare_responses(legacy, modern, rules(lists="prefix", pagination_link=False)) == (
        compare_responses(legacy, legacy, rules())
    )


def test_gzip_and_deflate_are_decoded_before_comparing() -> None:
    body = json.dumps({"a": [1, 2]}).encode()
    gz = answer(gzip.compress(body), headers=(*JSON, ("content-encoding", "gzip")))
    deflated = answer(zlib.compress(body), headers=(*JSON, ("content-encoding", "deflate")))
    plain = answer({"a": [1, 2]})
    assert compare_responses(gz, plain, rules()).differences == []
    assert compare_responses(deflated, plain, rules()).differences == []


def test_text_and_binary_bodies() -> None:
    text = (("content-type", "text/html; charset=utf-8"),)
    verdict = compare_responses(
        answer(b"<p>a</p>", headers=text), answer(b"<p>b</p>", headers=text), rules()
    )
    assert [(d.kind, d.legacy, d.modern) for d in verdict.differences] == [
        ("changed", "<p>a</p>", "<p>b</p>")
    ]
    png = (("content-type", "image/png"),)
    [diff] = compare_responses(
        answer(b"\x89a", headers=png), answer(b"\x89b", headers=png), rules()
    ).differences
    assert str(diff.legacy).startswith("sha256:") and diff.legacy != diff.modern


def test_empty_bodies_agree() -> None:
    assert compare_responses(answer(b"", 204, ()), answer(b"", 204, ()), rules()).differences == []


def test_field_selection_is_a_declared_difference() -> None:
    legacy = answer([{"id": "a", "name": "x", "topic": "t"}])
    modern = answer([{"id": "a", "name": "x"}])
    assert compare_responses(legacy, modern, rules(), "fields=id,name").differences == []
    assert [d.kind for d in compare_responses(legacy, modern, rules()).differences] == ["missing"]
    wrong = answer([{"id": "a", "name": "y"}])
    assert [
        d.kind for d in compare_responses(legacy, wrong, rules(), "fields=id,name").differences
    ] == ["changed"]
