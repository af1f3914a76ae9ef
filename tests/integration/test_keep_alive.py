"""An idle keep-alive connection outlives a proxy's: the BentoML targets keep it past 60 s.

A proxy that keeps idle upstream connections longer than the server sends its next
request into a connection the server has closed, and answers 502. uvicorn's default
closes them after 5 s; the shipped serving passes KEEP_ALIVE_S (75 s).
"""

from __future__ import annotations

import re

import pytest

from harness.processes import ROOT, Managed
from service.runtime import KEEP_ALIVE_S
from tests.servers import answers_after_idle

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["bento_server", "edge_server"])
def test_a_connection_idle_past_uvicorns_default_is_still_answered(
    name: str, request: pytest.FixtureRequest
) -> None:
    server: Managed = request.getfixturevalue(name)
    assert answers_after_idle(server.url, idle_s=6.5) == 200


@pytest.mark.parametrize("path", ["scripts/serve_bento.sh", "deploy/bento/Dockerfile.template"])
def test_every_way_of_serving_the_bento_passes_the_keep_alive(path: str) -> None:
    passed = re.findall(r"--timeout-keep-alive\W+(\d+)", (ROOT / path).read_text())
    assert passed == [str(KEEP_ALIVE_S)]
    assert KEEP_ALIVE_S > 60  # above nginx's and AWS ALB's idle timeouts
