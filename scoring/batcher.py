"""An in-process continuous batcher: whatever queued while the last batch ran is the next batch.

Unlike a batcher that learns how long to wait, it never waits on purpose: at
1 user every batch has one item and no added delay; under load batches grow
by themselves. A bounded queue sheds load with an error the caller maps to 503.

With batches_in_flight above 1, a batch leaves as soon as fewer than that many
are out, for a handler that queues them somewhere that merges them; with 1,
for a serial handler (a model in process, or one behind a hop that this
batcher is the only caller of).

Regather: a batch that completes predicts its own callers' next requests
(closed-loop callers come back a round trip later). Without that, two callers
take turns at a serial model: each one's request waits behind the other's
batch. So after a batch of n completes, the next batch waits for the
callers to come back: until n requests have arrived since the completion,
as long as each arrives within regather_ms of the one before (or of the
completion), and never more than regather_max_ms in all. A lone caller is
never held (its own return is the one arrival expected); Poisson arrivals,
spaced at random, end the wait at their first gap longer than regather_ms.

Arrivals are counted in calls: submit() is a call of one item, submit_all() a
call of many (a batch another batcher formed, such as an entry pod's), so a
model service regathers its callers, not their items.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class Overloaded(Exception):
    """The queue is full: the caller should answer 503 with Retry-After."""


@dataclass
class _Pending(Generic[In, Out]):
    item: In
    future: asyncio.Future[tuple[Out, float]]
    call: int  # the call it came in: the items of one submit_all share it
    queued_at: float = field(default_factory=time.perf_counter)


class ContinuousBatcher(Generic[In, Out]):
    """Feed items to handle_batch in batches of at most max_batch_size, several out at once."""

    def __init__(
        self,
        handle_batch: Callable[[Sequence[In]], Awaitable[Sequence[Out]]],
        max_batch_size: int,
        max_queue: int,
        batches_in_flight: int = 1,
        regather_ms: float = 0.0,
        regather_max_ms: float = 0.0,
    ) -> None:
        self._handle_batch = handle_batch
        self.max_batch_size = max_batch_size
        self.max_queue = max_queue
        self.batches_in_flight = batches_in_flight
        self.regather_gap_s = regather_ms / 1000
        self.regather_max_s = regather_max_ms / 1000
        # the last completion: when, its calls, the calls arrived since and the latest one's time
        self._completed_at = 0.0
        self._completed_size = 0
        self._arrivals_since = 0
        self._arrived_at = 0.0
        self._queue: list[_Pending[In, Out]] = []
        self._wakeup: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._worker: asyncio.Task[None] | None = None
        self._out: set[asyncio.Task[None]] = set()
        self._calls = 0
        self.batches = 0
        self.items = 0

    async def submit(self, item: In) -> tuple[Out, float]:
        """Return the item's result and how many ms it waited for its batch to start."""
        (pending,) = self._enqueue([item])
        return await pending.future

    async def submit_all(self, items: Sequence[In]) -> list[tuple[Out, float]]:
        """Submit the items as one call: each one's result and its wait for its batch, in order."""
        pending = self._enqueue(items)
        return list(await asyncio.gather(*(p.future for p in pending)))

    def _enqueue(self, items: Sequence[In]) -> list[_Pending[In, Out]]:
        """Queue the items as one call and wake the worker; Overloaded when they do not fit."""
        if len(self._queue) + len(items) > self.max_queue:
            raise Overloaded
        if self._worker is None or self._worker.done():
            self._wakeup = asyncio.Event()
            self._slots = asyncio.Semaphore(self.batches_in_flight)
            self._worker = asyncio.create_task(self._run())
        loop = asyncio.get_running_loop()
        self._calls += 1
        pending = [_Pending[In, Out](item, loop.create_future(), self._calls) for item in items]
        self._queue.extend(pending)
        self._arrivals_since += 1
        self._arrived_at = time.perf_counter()
        assert self._wakeup is not None
        self._wakeup.set()
        return pending

    async def _run(self) -> None:
        assert self._wakeup is not None and self._slots is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                # a batch is formed when a slot is free: whatever queued until then
                await self._slots.acquire()
                await self._regather()
                batch = self._queue[: self.max_batch_size]
                del self._queue[: self.max_batch_size]
                # callers that gave up (timed out, disconnected) need no answer
                batch = [p for p in batch if not p.future.cancelled()]
                if not batch:
                    self._slots.release()
                    continue
                task = asyncio.create_task(self._dispatch(batch))
                self._out.add(task)
                task.add_done_callback(self._out.discard)

    async def _regather(self) -> None:
        """Wait, briefly and boundedly, for the callers of the last completed batch to return."""
        assert self._wakeup is not None
        deadline = self._completed_at + self.regather_max_s
        while self._arrivals_since < self._completed_size:
            latest = max(self._completed_at, self._arrived_at)
            left = min(latest + self.regather_gap_s, deadline) - time.perf_counter()
            if left <= 0 or len(self._queue) >= self.max_batch_size:
                return
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), left)

    async def _dispatch(self, batch: list[_Pending[In, Out]]) -> None:
        assert self._slots is not None
        try:
            await self._run_batch(batch)
        finally:
            self._slots.release()

    async def _run_batch(self, batch: list[_Pending[In, Out]]) -> None:
        started = time.perf_counter()
        self.batches += 1
        self.items += len(batch)
        try:
            results = await self._handle_batch([p.item for p in batch])
        except Exception as exc:
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result((result, (started - pending.queued_at) * 1000))
        self._completed_at = time.perf_counter()
        self._completed_size = len({p.call for p in batch})
        self._arrivals_since = 0

    async def close(self) -> None:
        """Stop the worker task and the batches still out."""
        for task in [self._worker, *self._out]:
            if task is not None:
                task.cancel()
