"""Every metric the proxy exports is in the README's table, and the Grafana dashboard
asks only for metrics that exist."""

from __future__ import annotations

import json
import re

from tests.integration.proxy.conftest import Proxy, client
from tests.support.servers import REPO_ROOT

HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def exported(text: str) -> set[str]:
    names = set()
    for match in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        name, kind = match.groups()
        names.add(name.removesuffix("_total") + "_total" if kind == "counter" else name)
    return names


def test_the_readme_documents_every_exported_metric(proxy: Proxy) -> None:
    with client() as http:
        text = http.get(proxy.url + "/_strangler/metrics").text
    readme = (REPO_ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(strangler_[a-z_]+)` \|", readme, re.MULTILINE))
    names = exported(text)
    assert len(names) >= 15
    assert names <= documented, sorted(names - documented)


def test_the_grafana_dashboard_uses_only_documented_metrics() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(strangler_[a-z_]+)` \|", readme, re.MULTILINE))
    dashboard = json.loads((REPO_ROOT / "deploy/grafana/strangler.json").read_text())
    used = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            for name in re.findall(r"strangler_[a-z_]+", target["expr"]):
                for suffix in HISTOGRAM_SERIES:
                    if name.endswith("_seconds" + suffix):
                        name = name.removesuffix(suffix)
                used.add(name)
    assert used and used <= documented, sorted(used - documented)
    assert "strangler_proxy_routes" in used and "strangler_shadow_match_rate" in used
