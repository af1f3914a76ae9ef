"""Raw HTTP load: a burst of concurrent requests, or a closed loop.

The integration tests use it, and so can you, to see what a target does far
beyond capacity: python -m harness.load http://127.0.0.1:3000 --requests 1500
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp

from loadgen.windows import percentiles
from scoring import contract, vectors
from scoring.answers import scores_for


@dataclass(frozen=True)
class Answer:
    """One request's outcome: its status, or the client error that replaced it."""

    url: str
    entity_id: str
    seconds: float
    status: int | str  # the exception's name when no HTTP answer came
    body: Any
    retry_after: str | None = None


async def post(session: aiohttp.ClientSession, url: str, entity_id: str) -> Answer:
    """POST predict for one entity; the answer, or the client error that replaced it."""
    sent = time.monotonic()
    try:
        async with session.post(url + contract.PREDICT_PATH, json={"entity_id": entity_id}) as r:
            body = await r.json(content_type=None)
            seconds = time.monotonic() - sent
            return Answer(url, entity_id, seconds, r.status, body, r.headers.get("Retry-After"))
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Answer(url, entity_id, time.monotonic() - sent, type(exc).__name__, None)


async def burst(
    url: str, count: int, entity_ids: list[str] | None = None, timeout_s: float = 60
) -> list[Answer]:
    """Send count requests at once, for entities 0..count-1 or for the ids given."""
    ids = entity_ids or [vectors.entity_id_for(i) for i in range(count)]
    connector = aiohttp.TCPConnector(limit=len(ids))
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)
    ) as session:
        return await asyncio.gather(*(post(session, url, e) for e in ids))


async def closed_loop(urls: list[str], users: int, seconds: float) -> list[Answer]:
    """Run users per url, each sending its next request when the last is answered."""
    answers: list[Answer] = []
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def user(url: str, index: int) -> None:
            while time.monotonic() < deadline:
                answers.append(await post(session, url, vectors.entity_id_for(index)))

        await asyncio.gather(*(user(u, i) for u in urls for i in range(users)))
    return answers


def describe(answers: list[Answer]) -> str:
    """Summarise a burst: answers by status and message, wrong scores, latency."""
    outcomes = Counter(
        f"{a.status} {a.body.get('error', '') if isinstance(a.body, dict) else ''}".strip()
        + (f" (Retry-After: {a.retry_after})" if a.retry_after else "")
        for a in answers
    )
    wrong = sum(
        1 for a in answers if a.status == 200 and a.body["scores"] != scores_for(a.entity_id)
    )
    seconds = [a.seconds for a in answers]
    lines = [f"{count:6d}  {outcome}" for outcome, count in outcomes.most_common()]
    lines.append(f"wrong scores: {wrong}")
    lines.append(
        "seconds to answer: median {:.2f}, p99 {:.2f}, max {:.2f}".format(
            *percentiles(seconds, [50, 99, 100])
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.load", description="Send a burst of concurrent predict requests."
    )
    parser.add_argument("url", help="the target, e.g. http://127.0.0.1:3000")
    parser.add_argument("--requests", type=int, default=1500, help="sent at once")
    args = parser.parse_args(argv)
    started = time.monotonic()
    answers = asyncio.run(burst(args.url.rstrip("/"), args.requests))
    print(f"{args.requests} requests at once to {args.url}, {time.monotonic() - started:.1f} s")
    print(describe(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
