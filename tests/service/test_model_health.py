"""The entry's view of its model services: down on a failed probe, back on a passing one."""

from __future__ import annotations

import asyncio

import pytest

from scoring.contract import ModelUnavailable
from service.model_health import ModelHealth


class _Model:
    """A model service's client whose readiness probe answers as told."""

    def __init__(self) -> None:
        self.answer: bool | None = True  # None: the probe hangs

    async def is_ready(self) -> bool:
        if self.answer is None:
            await asyncio.sleep(3600)
        return bool(self.answer)


def _health(model: _Model) -> ModelHealth:
    return ModelHealth({"ModelA": model}, interval_s=0.01, timeout_s=0.05)


async def test_a_hanging_probe_marks_the_service_down_and_calls_fail_at_once() -> None:
    model = _Model()
    health = _health(model)
    await health.probe_all()
    assert health.down_reason() is None
    model.answer = None
    await health.probe_all()
    reason = health.down_reason()
    assert reason is not None and reason.startswith("model service ModelA unavailable: ")
    assert "readiness probe over 0.05 s" in reason
    with pytest.raises(ModelUnavailable):
        await asyncio.wait_for(health.run(lambda: asyncio.sleep(10)), 0.1)


async def test_a_call_out_when_the_service_goes_down_is_given_up() -> None:
    model = _Model()
    health = _health(model)
    health.start()
    try:
        call = asyncio.create_task(health.run(lambda: asyncio.sleep(10, result="scores")))
        await asyncio.sleep(0.05)
        model.answer = False
        with pytest.raises(ModelUnavailable):
            await asyncio.wait_for(call, 1)
        model.answer = True  # back: the next call goes through
        await asyncio.sleep(0.1)
        assert await health.run(lambda: asyncio.sleep(0, result="scores")) == "scores"
        assert health.down_reason() is None
    finally:
        await health.stop()


async def test_a_probe_that_raises_is_a_failed_probe() -> None:
    class Refusing(_Model):
        async def is_ready(self) -> bool:
            raise ConnectionRefusedError

    health = ModelHealth({"ModelB": Refusing()}, interval_s=0.01, timeout_s=0.05)
    await health.probe_all()
    assert health.down_reason() is not None
    assert "readiness probe failed (ConnectionRefusedError)" in str(health.down_reason())


async def test_a_probe_out_when_probing_stops_marks_nothing() -> None:
    # on SIGTERM the model services stop by design; a probe failing then must not
    # refuse what the entry still holds (service/drain.py)
    model = _Model()
    health = _health(model)
    model.answer = False
    probing = asyncio.create_task(health.probe_all())
    health.stop_probing()
    await probing
    assert health.down_reason() is None
    model.answer = True
    await health.probe_all()
    assert health.down_reason() is None
