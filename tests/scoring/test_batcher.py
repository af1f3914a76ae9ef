"""The continuous batcher: batches form from what queued while the model ran."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from scoring.batcher import ContinuousBatcher, Overloaded


class SlowDouble:
    """A serial fake that records the batches it was given."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.batches: list[list[int]] = []

    async def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(self.seconds)
        return [2 * i for i in items]


async def test_a_lone_request_is_dispatched_without_waiting() -> None:
    handler = SlowDouble(0.0)
    batcher = ContinuousBatcher(handler, max_batch_size=8, max_queue=100)
    result, waited_ms = await batcher.submit(21)
    assert result == 42
    assert waited_ms < 100  # dispatched at once, not held open for company
    await batcher.close()


async def test_requests_arriving_during_a_batch_form_the_next_one() -> None:
    handler = SlowDouble(0.05)
    batcher = ContinuousBatcher(handler, max_batch_size=4, max_queue=100)
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0.01)  # the first batch is running
    rest = await asyncio.gather(*(batcher.submit(i) for i in range(1, 7)))
    assert (await first)[0] == 0
    assert [r for r, _ in rest] == [2, 4, 6, 8, 10, 12]
    assert handler.batches == [[0], [1, 2, 3, 4], [5, 6]]
    assert (batcher.batches, batcher.items) == (3, 7)
    await batcher.close()


async def test_a_full_queue_sheds() -> None:
    batcher = ContinuousBatcher(SlowDouble(0.05), max_batch_size=1, max_queue=2)
    running = [asyncio.create_task(batcher.submit(0))]
    await asyncio.sleep(0.01)  # 0 runs; the next two fill the queue
    running += [asyncio.create_task(batcher.submit(i)) for i in (1, 2)]
    await asyncio.sleep(0)
    with pytest.raises(Overloaded):
        await batcher.submit(99)
    await asyncio.gather(*running)
    await batcher.close()


async def test_a_failing_batch_fails_each_of_its_callers() -> None:
    async def broken(items: Sequence[int]) -> list[int]:
        raise ConnectionError("store down")

    batcher = ContinuousBatcher(broken, max_batch_size=4, max_queue=10)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    # and the worker lives on for the next batch
    assert isinstance(
        (await asyncio.gather(batcher.submit(1), return_exceptions=True))[0], ConnectionError
    )
    await batcher.close()


async def test_callers_that_gave_up_are_left_out_of_the_next_batch() -> None:
    handler = SlowDouble(0.05)
    batcher = ContinuousBatcher(handler, max_batch_size=8, max_queue=100)
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0.01)  # the first batch is running; 1 and 2 queue behind it
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(batcher.submit(1), timeout=0.01)
    assert (await batcher.submit(2))[0] == 4
    await first
    assert handler.batches == [[0], [2]]
    await batcher.close()


async def test_with_two_batches_in_flight_a_second_leaves_while_the_first_is_out() -> None:
    release = asyncio.Event()
    started: list[list[int]] = []

    async def handle(items: Sequence[int]) -> list[int]:
        started.append(list(items))
        await release.wait()
        return list(items)

    batcher: ContinuousBatcher[int, int] = ContinuousBatcher(
        handle, max_batch_size=8, max_queue=100, batches_in_flight=2
    )
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(batcher.submit(2))
    await asyncio.sleep(0.01)
    third = [asyncio.create_task(batcher.submit(n)) for n in (3, 4)]
    await asyncio.sleep(0.01)
    assert started == [[1], [2]]  # the third and fourth wait for a free slot, together
    release.set()
    results = await asyncio.gather(first, second, *third)
    assert [r for r, _ in results] == [1, 2, 3, 4]
    assert started == [[1], [2], [3, 4]]
    await batcher.close()


async def _closed_loop_callers(
    batcher: ContinuousBatcher[int, int], callers: int, rounds: int
) -> None:
    async def caller(n: int) -> None:
        await asyncio.sleep(0.003 * n)  # they start apart: each arrives during a batch
        for _ in range(rounds):
            await batcher.submit(n)
            await asyncio.sleep(0.001)  # the caller's round trip before its next request

    await asyncio.gather(*(caller(n) for n in range(callers)))


@pytest.mark.parametrize("callers", [2, 4, 8])
async def test_closed_loop_callers_share_batches_with_regather(callers: int) -> None:
    handler = SlowDouble(0.02)
    batcher = ContinuousBatcher(handler, 128, 1000, regather_ms=5, regather_max_ms=20)
    await _closed_loop_callers(batcher, callers, rounds=10)
    sizes = [len(b) for b in handler.batches]
    # after the first batches every caller rides every batch (the last one: the
    # caller that started first has made its last request)
    assert sizes[-5:-1] == [callers] * 4
    await batcher.close()


async def test_without_regather_two_closed_loop_callers_take_turns() -> None:
    handler = SlowDouble(0.02)
    batcher = ContinuousBatcher(handler, 128, 1000)
    await _closed_loop_callers(batcher, 2, rounds=10)
    # the alternation regather removes: each caller waits behind the other's batch
    assert [len(b) for b in handler.batches][-5:-1] == [1] * 4
    await batcher.close()


async def test_a_lone_caller_is_never_held() -> None:
    handler = SlowDouble(0.01)
    batcher = ContinuousBatcher(handler, 128, 1000, regather_ms=200, regather_max_ms=500)
    for n in range(5):
        _, waited_ms = await batcher.submit(n)
        # its own return is the one arrival its last batch predicted
        assert waited_ms < 100
    await batcher.close()


async def test_regather_waits_at_most_its_gap_for_callers_that_do_not_return() -> None:
    handler = SlowDouble(0.01)
    batcher = ContinuousBatcher(handler, 128, 1000, regather_ms=50, regather_max_ms=500)
    await asyncio.gather(*(batcher.submit(n) for n in range(3)))  # a batch of 3 completes
    _, waited_ms = await batcher.submit(9)  # one of three comes back, the others never
    assert 40 <= waited_ms < 200
    await asyncio.sleep(0.1)  # past the gap, a request is not held at all
    _, waited_ms = await batcher.submit(10)
    assert waited_ms < 40
    await batcher.close()


async def test_regather_never_waits_past_its_cap() -> None:
    handler = SlowDouble(0.01)
    batcher = ContinuousBatcher(handler, 128, 1000, regather_ms=40, regather_max_ms=60)
    await asyncio.gather(*(batcher.submit(n) for n in range(8)))
    # arrivals keep coming within the gap, but fewer than 8: the cap ends the wait
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0.03)
    second = asyncio.create_task(batcher.submit(2))
    (_, waited_first), _ = await asyncio.gather(first, second)
    assert handler.batches[-1] == [1, 2]
    assert waited_first < 60 + 40
    await batcher.close()


async def _pods(batcher: ContinuousBatcher[int, int], pods: int, rounds: int) -> None:
    """Callers that each submit a batch of their own (3 items) and come back after it."""

    async def pod(n: int) -> None:
        await asyncio.sleep(0.003 * n)
        for _ in range(rounds):
            done = await batcher.submit_all([10 * n, 10 * n + 1, 10 * n + 2])
            assert [result for result, _ in done] == [20 * n, 20 * n + 2, 20 * n + 4]
            await asyncio.sleep(0.002)  # the pod's turnaround before its next batch

    await asyncio.gather(*(pod(n) for n in range(pods)))


async def test_calls_of_many_items_are_regathered_as_calls() -> None:
    """A model service's callers are entry pods sending batches: regather counts their
    calls, so two pods' batches of 3 ride one model batch instead of taking turns."""
    handler = SlowDouble(0.02)
    batcher = ContinuousBatcher(handler, 128, 1000, regather_ms=10, regather_max_ms=20)
    await _pods(batcher, 2, rounds=8)
    assert [len(b) for b in handler.batches][-5:-1] == [6] * 4
    await batcher.close()


async def test_without_regather_two_pods_take_turns() -> None:
    handler = SlowDouble(0.02)
    batcher = ContinuousBatcher(handler, 128, 1000)
    await _pods(batcher, 2, rounds=8)
    assert [len(b) for b in handler.batches][-5:-1] == [3] * 4
    await batcher.close()


async def test_a_lone_pod_is_never_held() -> None:
    handler = SlowDouble(0.01)
    batcher = ContinuousBatcher(handler, 128, 1000, regather_ms=200, regather_max_ms=500)
    for n in range(4):
        # each call smaller than the last: counted in items, its return would fall short
        # of the last batch and wait out the gap; counted in calls, it is the one expected
        done = await batcher.submit_all([n] * (4 - n))
        assert max(waited for _, waited in done) < 100
    await batcher.close()


async def test_a_call_that_would_overfill_the_queue_is_refused_whole() -> None:
    handler = SlowDouble(0.05)
    batcher = ContinuousBatcher(handler, 2, max_queue=4)
    running = asyncio.create_task(batcher.submit_all([1, 2]))
    await asyncio.sleep(0.01)  # the first two are the batch being run; the queue is empty
    queued = asyncio.create_task(batcher.submit_all([3, 4, 5]))
    await asyncio.sleep(0.01)
    with pytest.raises(Overloaded):
        await batcher.submit_all([6, 7])  # 3 queued + 2 > 4: none of the two is queued
    assert [r for r, _ in await queued] == [6, 8, 10]
    await running
    assert sorted(i for b in handler.batches for i in b) == [1, 2, 3, 4, 5]
    await batcher.close()
