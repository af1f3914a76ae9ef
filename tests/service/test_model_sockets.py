"""An entry worker's links to its model services' sockets outlive the arbiter's directory."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from bentoml._internal.configuration.containers import BentoMLContainer
from bentoml._internal.utils.uri import path_to_uri, uri_to_path

from service.model_sockets import keep_model_sockets, release_model_sockets


@pytest.fixture
def mapping() -> Iterator[dict[str, str]]:
    """The worker's dependency map, as `bentoml serve` sets it; restored afterwards."""
    before = BentoMLContainer.remote_runner_mapping.get()
    chosen: dict[str, str] = {}
    BentoMLContainer.remote_runner_mapping.set(chosen)
    yield chosen
    BentoMLContainer.remote_runner_mapping.set(before)


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[dict[str, socket.socket]]:
    """Two model services' listening sockets in one directory, like the arbiter's."""
    uds = tmp_path / "bentoml-uds-x"
    uds.mkdir()
    servers = {}
    for name in ("ModelA", "ModelB"):
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(uds / f"{id(server)}.sock"))
        server.listen()
        servers[name] = server
    yield servers
    for server in servers.values():
        server.close()


def _connects(uri: str) -> bool:
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(uri_to_path(uri))
        except OSError:
            return False
        return True


def test_the_links_reach_the_sockets_after_their_directory_is_deleted(
    mapping: dict[str, str], listening: dict[str, socket.socket]
) -> None:
    mapping.update({n: path_to_uri(s.getsockname()) for n, s in listening.items()})
    kept = keep_model_sockets()
    assert kept is not None
    shutil.rmtree(Path(listening["ModelA"].getsockname()).parent)  # what the arbiter does

    linked = BentoMLContainer.remote_runner_mapping.get()
    assert set(linked) == {"ModelA", "ModelB"}
    assert all(Path(uri_to_path(u)).parent == kept for u in linked.values())
    assert all(_connects(u) for u in linked.values())
    assert not _connects(mapping["ModelA"])  # the arbiter's own path is gone

    listening["ModelA"].close()  # a stopped model service refuses, as without links
    assert not _connects(linked["ModelA"])
    release_model_sockets(kept)
    assert not kept.exists()


def test_tcp_dependencies_are_left_alone(mapping: dict[str, str]) -> None:
    mapping.update({"ModelA": "http://model-a:3000", "ModelB": "http://model-b:3000"})
    assert keep_model_sockets() is None
    assert BentoMLContainer.remote_runner_mapping.get() == mapping


def test_a_socket_that_cannot_be_linked_leaves_the_mapping_and_no_directory(
    mapping: dict[str, str], tmp_path: Path
) -> None:
    uds = tmp_path / "bentoml-uds-y"
    uds.mkdir()
    mapping["ModelA"] = path_to_uri(str(uds / "gone.sock"))
    assert keep_model_sockets() is None
    assert BentoMLContainer.remote_runner_mapping.get() == mapping
    assert [p.name for p in tmp_path.iterdir()] == ["bentoml-uds-y"]
