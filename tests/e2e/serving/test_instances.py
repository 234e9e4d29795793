"""Two proxy instances (2 workers each) sharing Redis behave as one.

They report the same totals and the same config revision; when one takes a new
routes.yaml before the other (a rollout in progress) the status API of either says
the workers disagree, and a stopped instance leaves the registry at once.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.e2e.serving.proxies import ROUTES, Proxy, run_proxy, status, total, wait_for
from tests.support.servers import RunningServer

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_two_instances_sharing_redis_report_the_same_totals_and_revision(
    upstream: RunningServer, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    with (
        run_proxy(upstream, redis_url, redis_prefix, tmp_path / "a") as a,
        run_proxy(upstream, redis_url, redis_prefix, tmp_path / "b") as b,
    ):
        sent = 0
        with httpx.Client(timeout=10) as client:
            for n in range(40):
                target = a if n % 3 else b
                assert client.get(target.url + "/echo").status_code == 200
                sent += 1
        wait_for(lambda: total(a, "echo") == sent == total(b, "echo"), 10, a)
        # Four workers, one revision, as seen from either instance.
        wait_for(lambda: _instances(a) == _instances(b) == (True, 4), 15, a)
        (revision,) = status(a)["instances"]["revisions"]
        assert revision == status(b)["revision"]

        # A rollout in progress: b takes a new routes.yaml, a has not yet.
        routes = tmp_path / "b" / "routes.yaml"
        routes.write_text(ROUTES + "# b's edit\n")
        seen: set[str] = set()
        wait_for(lambda: bool(seen.add(status(b)["revision"]) or seen - {revision}), 20, b)
        (new,) = seen - {revision}
        # Each of b's workers takes it within a beat; from then on both views say so.
        both = {revision: 2, new: 2}
        wait_for(lambda: status(a)["instances"]["revisions"] == both, 20, a)
        assert _instances(a) == _instances(b) == (False, 4)

        os.kill(b.process.pid, signal.SIGTERM)
        assert b.process.wait(30) == 0
        # A stopped instance leaves at once: the survivors agree again.
        assert _instances(a) == (True, 2)


def _instances(proxy: Proxy) -> tuple[bool, int]:
    instances = status(proxy)["instances"]
    return instances["agree"], sum(instances["revisions"].values())
