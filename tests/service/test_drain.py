"""On SIGTERM a model service serves until its calls stop; the entry stops probing it."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from scoring.settings import settings
from service import drain
from tests.service.bento_services import has_startup_hook, model_services, remote_entries


@pytest.fixture
def server_handler() -> Iterator[list[int]]:
    """A stand-in for uvicorn's SIGTERM handler: records the signals it is given."""
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    before = signal.signal(signal.SIGTERM, handler)
    yield received
    signal.signal(signal.SIGTERM, before)


async def _signal_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.sleep(0.05)  # the handler runs, then the loop its callback


async def test_the_first_sigterm_is_deferred_and_a_second_stops_at_once(
    server_handler: list[int],
) -> None:
    deferred: list[drain.Stop] = []
    assert drain.on_sigterm(deferred.append)

    await _signal_self()
    assert len(deferred) == 1 and server_handler == []  # not stopped yet
    deferred[0]()
    assert server_handler == [signal.SIGTERM]  # stop() is the server's own handler

    await _signal_self()
    assert len(deferred) == 1 and server_handler == [signal.SIGTERM] * 2


async def test_nothing_is_deferred_without_a_servers_handler() -> None:
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        assert not drain.on_sigterm(lambda stop: None)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)


async def _calls(model: drain.DrainBeforeExit, every_s: float, until: asyncio.Event) -> None:
    while not until.is_set():
        model.mark_call()
        await asyncio.sleep(every_s)


async def test_a_model_service_stops_only_once_its_calls_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "model_drain_idle_s", 0.25)
    model, stopped, calls_end = drain.DrainBeforeExit(), asyncio.Event(), asyncio.Event()
    calling = asyncio.create_task(_calls(model, 0.01, calls_end))
    draining = asyncio.create_task(model.exit_when_idle(stopped.set))
    await asyncio.sleep(0.6)  # over two idle spans, none of them idle
    assert not stopped.is_set()
    calls_end.set()
    await calling
    await asyncio.wait_for(draining, 1)
    assert stopped.is_set()


async def test_a_model_service_called_without_end_stops_at_the_entrys_model_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "model_drain_idle_s", 0.25)
    monkeypatch.setattr(settings, "model_timeout_s", 0.4)
    model, stopped, calls_end = drain.DrainBeforeExit(), asyncio.Event(), asyncio.Event()
    calling = asyncio.create_task(_calls(model, 0.01, calls_end))
    try:
        await asyncio.wait_for(model.exit_when_idle(stopped.set), 2)
        assert stopped.is_set()
    finally:
        calls_end.set()
        await calling


@pytest.mark.parametrize("service", model_services(), ids=lambda s: s.name)
def test_every_model_service_defers_its_exit_at_startup(service: Any) -> None:
    assert has_startup_hook(service, "defer_exit_until_idle")


@pytest.mark.parametrize("service", remote_entries(), ids=lambda s: s.name)
def test_every_entry_stops_probing_its_models_on_sigterm(service: Any) -> None:
    class _Health:
        probing = True

        def stop_probing(self) -> None:
            self.probing = False

    entry = service.inner.__new__(service.inner)  # no worker: only the handler is tried
    entry.model_health = _Health()
    stopped: list[bool] = []
    entry._stop_probing_then(lambda: stopped.append(not entry.model_health.probing))
    assert stopped == [True]  # probing ended before the worker stopped
