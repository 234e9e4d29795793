"""The status adapter: absent, odd and future fields never break a page."""

from __future__ import annotations

from proxy.admin.formats import count, duration_ms, percent, ratio_percent
from proxy.admin.view import overview, route_view


def test_an_empty_or_odd_document_gives_empty_views() -> None:
    for document in ({}, {"migration": "?", "routes": "x", "unmapped": None}):
        view = overview(document)
        assert view.routes == () and view.routes_total == 0 and view.attention == []
    route = route_view({"id": "r", "shadow": {"fields": "not a list"}, "latency_ms": []})
    assert route.stage == "legacy" and route.fields == () and route.latency["p50"] is None


def test_fields_from_other_branches_are_read_when_present() -> None:
    entry = {
        "id": "rooms",
        "stage": "canary",
        "canary": {"percent": 25, "sticky": "user"},
        "effective_stage": "legacy",
        "analysis": {"verdict": "failing"},
        "override": {"reason": "error rate 21 % > 5 %", "stage": "legacy"},
        "audit": [{"step": 1}, "not an entry"],
        "window": {"started": "2026-11-28T10:00:00Z", "reason": "compare changed"},
        "brand_new_field": {"x": 1},
    }
    route = route_view(entry)
    assert route.effective_stage == "legacy" and route.canary_percent == 25.0
    assert route.verdict == "failing" and route.health == "bad"
    assert route.audit == ({"step": 1},) and route.window is not None
    assert route.extra == {"brand_new_field": {"x": 1}}
    attention = overview({"routes": [entry]}).attention
    assert [a.what for a in attention] == ["guardrail tripped"]
    assert attention[0].detail == "error rate 21 % > 5 %"


def test_attention_lists_mismatches_expiring_rollbacks_and_ready_routes() -> None:
    mismatching = {
        "id": "a",
        "stage": "shadow",
        "shadow": {"compared": 10, "mismatched": 4, "match_rate": 0.6},
    }
    ready = {
        "id": "b",
        "stage": "shadow",
        "shadow": {
            "compared": 500,
            "mismatched": 0,
            "match_rate": 1.0,
            "ready_to_promote": True,
            "ready_reason": "ready",
        },
    }
    expiring = {
        "id": "c",
        "stage": "shadow",
        "rollback": {"reason": "bug 12", "expires": "2000-01-01"},
    }
    items = overview({"routes": [mismatching, ready, expiring]}).attention
    assert [(a.route, a.what, a.level) for a in items] == [
        ("a", "responses differ", "bad"),
        ("b", "ready to move", "good"),
        ("c", "rollback expired", "bad"),
    ]  # fmt: skip


def test_samples_pair_with_their_field_newest_first() -> None:
    entry = {"id": "r", "shadow": {"compared": 3, "fields": [
        {"path": "a.b", "diffs": 2, "kinds": ["changed"]},
        {"path": "z", "diffs": 5, "kinds": ["missing"]},
    ]}}  # fmt: skip
    samples = [
        {"path": "a.b", "legacy": "new-l", "modern": "new-m"},
        {"path": "a.b", "legacy": "old-l", "modern": "old-m"},
    ]
    fields = route_view(entry, samples).fields
    assert [f.path for f in fields] == ["z", "a.b"]  # ranked by count
    assert (fields[1].legacy, fields[1].modern, fields[1].sampled) == ("new-l", "new-m", True)
    assert not fields[0].sampled


def test_numbers_are_formatted_for_people() -> None:
    assert count(1234567) == "1,234,567" and count(None) == "–"
    assert percent(33.333) == "33.3 %" and percent(100.0) == "100 %"
    assert ratio_percent(0.98765) == "98.8 %"
    assert duration_ms(242.747) == "243 ms" and duration_ms(0.42) == "0.4 ms"
    assert duration_ms(1234.0) == "1.23 s"


MAIN_SHAPED = {
    "id": "rooms",
    "stage": "canary",
    "canary": {"percent": 50, "sticky": "user", "when_missing": "ip",
               "sticky_missing": {"ip": 7, "total": 7}},
    "rollback": {"reason": "bug 12", "expires": "2099-01-01", "expired": True},
    "configured": {"stage": "canary", "percent": 50, "label": "canary 50%"},
    "effective": {"stage": "legacy", "percent": 0.0, "label": "legacy", "by": "guardrail"},
    "guardrail": {"mode": "on", "trips": 1,
                  "override": {"event": "tripped", "reason": "error rate 0.21 > 0.05"}},
    "analysis": {"verdict": "failing", "reason": "error rate 0.21 > 0.05",
                 "figures": {"modern": {"error_rate": 0.21}}},
    "readiness": {"stage": "canary", "next": "modern", "ready": False, "reason": "failing"},
    "shadow": {"compared": 40, "mismatched": 0, "match_rate": 1.0,
               "window": {"id": 3, "started": "2026-11-28T10:00:00Z", "reason": "reset"},
               "recent": {"comparisons": 500, "compared": 40}},
}  # fmt: skip


def test_the_guardrail_and_evidence_fields_as_the_status_api_names_them() -> None:
    route = route_view(MAIN_SHAPED)
    assert (route.effective_stage, route.effective_percent, route.effective_by) == (
        "legacy", 0.0, "guardrail",
    )  # fmt: skip
    assert route.moved_at_run_time and route.health == "bad"
    assert route.verdict == "failing" and route.verdict_reason == "error rate 0.21 > 0.05"
    assert route.trips == 1 and route.sticky_missing == 7 and route.next_stage == "modern"
    assert route.window is not None and route.window["reason"] == "reset"
    assert route.expiry_state == "expired" and route.extra == {}
    what = [a.what for a in overview({"routes": [MAIN_SHAPED]}).attention]
    assert what == ["guardrail tripped", "rollback expired"]
    ready = {**MAIN_SHAPED, "readiness": {"next": "retired", "ready": True, "reason": "ok"},
             "stage": "modern", "guardrail": {}, "analysis": {}, "rollback": None}  # fmt: skip
    assert [a.what for a in overview({"routes": [ready]}).attention] == ["ready for retired"]


def test_the_overview_says_when_its_figures_are_one_workers_own() -> None:
    from proxy.admin.pages import overview_body
    from proxy.admin.view import overview

    status = {"partial": True, "partial_reason": "Redis did not answer within 0.5 s"}
    assert overview(status).partial == "Redis did not answer within 0.5 s"
    assert "Redis did not answer within 0.5 s" in overview_body(overview(status), [], "/_strangler")
    assert overview({"partial": False}).partial is None
