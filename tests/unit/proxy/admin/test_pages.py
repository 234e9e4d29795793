"""The pages render whatever the status holds, and escape everything that came from outside."""

from __future__ import annotations

from proxy.admin.layout import page, signin_page
from proxy.admin.pages import overview_body, route_body
from proxy.admin.view import overview, route_view

HOSTILE = '<img src=x onerror="alert(1)">'


def test_values_from_upstreams_and_config_are_escaped() -> None:
    entry = {
        "id": "rooms",
        "path": "/api/<rooms>",
        "stage": "shadow",
        "rollback": {"reason": HOSTILE},
        "shadow": {"compared": 2, "mismatched": 2, "match_rate": 0.0,
                   "fields": [{"path": "name", "diffs": 2, "kinds": ["changed"]}]},
        "novel": HOSTILE,
    }  # fmt: skip
    samples = [{"path": "name", "legacy": HOSTILE, "modern": {"html": HOSTILE}}]
    events = [{"ts": 1.0, "time": "2026-01-01T00:00:00Z", "kind": "note", "route": "rooms",
               "reason": HOSTILE}]  # fmt: skip
    html = route_body(route_view(entry, samples), events, "/_strangler")
    html += overview_body(overview({"routes": [entry]}, events), [], "/_strangler")
    assert "<img" not in html and "&lt;img" in html
    assert "/api/&lt;rooms&gt;" in html


def test_an_empty_status_still_makes_whole_pages() -> None:
    body = overview_body(overview({}), [], "/_strangler")
    assert "Nothing needs attention" in body and "no history yet" in body
    route = route_body(route_view({}), [], "/_strangler")
    assert "not shadow-compared" in route and "No interval with traffic" in route
    whole = page(title="t", root="/_strangler", body=body, mode="read-only", csrf=None,
                 signed_in=False)  # fmt: skip
    assert whole.startswith("<!doctype html>") and "Sign out" not in whole
    assert 'href="/_strangler/favicon.ico"' in whole


def test_the_sign_in_page_keeps_where_the_user_was_going_escaped() -> None:
    html = signin_page("/_strangler", error="wrong", next_path='/_strangler/"><script>')
    assert 'value="/_strangler/&quot;&gt;&lt;script&gt;"' in html and "<script>" not in html


def test_a_route_moved_at_run_time_shows_both_stages_and_its_audit_log() -> None:
    from tests.unit.proxy.admin.test_view import MAIN_SHAPED

    audit = [{"at": "2026-11-28T10:00:01.000Z", "event": "tripped", "reason": "error rate",
              "figures": {"modern": {"error_rate": 0.21}}, "worker": "w1"}]  # fmt: skip
    html = route_body(route_view({**MAIN_SHAPED, "audit": audit}), [], "/_strangler")
    assert 'data-stage="canary">canary 50 %' in html
    assert 'data-effective="legacy"' in html and "by guardrail" in html
    assert "failing: error rate 0.21 &gt; 0.05" in html
    assert '<tr class="audit">' in html and "2026-11-28 10:00:01" in html
    assert "7 requests without it" in html
