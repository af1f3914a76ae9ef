"""Key layout and feature generation; fakeredis stands in only for pure layout checks."""

from __future__ import annotations

import logging
import math
import struct

import fakeredis
import pytest

from scoring import redis_store, seed, vectors
from scoring.settings import settings

DIM = settings.feature_dim


def test_feature_key_is_the_only_layout() -> None:
    assert vectors.feature_key("e0000042") == "features:e0000042"
    assert vectors.entity_id_for(42) == "e0000042"


def test_features_are_deterministic_float32_exact_and_bounded() -> None:
    first = vectors.make_features("e0000001", 16)
    assert first == vectors.make_features("e0000001", 16)
    assert first != vectors.make_features("e0000002", 16)
    assert len(first) == 16
    assert all(-1.0 <= x < 1.0 for x in first)
    assert vectors.decode_features(vectors.encode_features(first)) == first


def test_long_vectors_draw_on_more_than_one_digest() -> None:
    vector = vectors.make_features("e1", 64)
    assert len(set(vector)) == 64


def test_seed_is_idempotent_and_lookups_agree() -> None:
    client = fakeredis.FakeRedis()
    seed.seed(client, 25, DIM, chunk=10)
    seed.seed(client, 25, DIM, chunk=7)
    assert client.dbsize() == 26  # 25 vectors and the meta hash
    assert seed.seeded_entities(client) == 25
    assert redis_store.fetch_features(client, "e0000024", DIM) == vectors.make_features(
        "e0000024", DIM
    )
    assert redis_store.fetch_features(client, "e0000025", DIM) is None


async def test_async_lookups_match_sync_ones() -> None:
    client = fakeredis.FakeAsyncRedis()
    vector = [0.5, -0.25] * (DIM // 2)
    await client.mset({vectors.feature_key("x"): vectors.encode_features(vector)})
    assert await redis_store.fetch_features_async(client, "x", DIM) == vector
    assert await redis_store.fetch_many_async(client, ["x", "missing"], DIM) == [vector, None]


# name: (how it is stored, what the error says)
BAD: dict[str, tuple[bytes | str, str]] = {
    "short": (vectors.encode_features([0.5] * (DIM - 1)), f"{4 * DIM - 4} bytes stored"),
    "nan": (vectors.encode_features([0.5] * (DIM - 1) + [math.nan]), f"feature {DIM - 1} is nan"),
    "inf": (vectors.encode_features([-math.inf] + [0.5] * (DIM - 1)), "feature 0 is -inf"),
    "hash": ("a hash", "stored as a Redis hash, not a string"),
    "list": ("a list", "stored as a Redis list, not a string"),
}


def _store_bad(client: fakeredis.FakeRedis) -> None:
    for name, (value, _) in BAD.items():
        key = vectors.feature_key(name)
        if value == "a hash":
            client.hset(key, "a", "1")
        elif value == "a list":
            client.rpush(key, "1")
        else:
            client.set(key, value)


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_vector_is_named_with_what_is_wrong(name: str) -> None:
    client = fakeredis.FakeRedis()
    _store_bad(client)
    with pytest.raises(vectors.BadFeatures, match=BAD[name][1]) as raised:
        redis_store.fetch_features(client, name, DIM)
    assert str(raised.value).startswith(f"bad features for entity_id {name!r}: ")


async def test_a_bad_vector_in_a_batch_fails_only_its_own_item() -> None:
    server = fakeredis.FakeServer()
    _store_bad(fakeredis.FakeRedis(server=server))
    client = fakeredis.FakeAsyncRedis(server=server)
    good = vectors.make_features("good", DIM)
    await client.set(vectors.feature_key("good"), vectors.encode_features(good))
    fetched = await redis_store.fetch_many_async(client, ["good", *BAD, "missing"], DIM)
    assert fetched[0] == good and fetched[-1] is None
    for name, item in zip(BAD, fetched[1:-1], strict=True):
        assert isinstance(item, vectors.BadFeatures)
        assert BAD[name][1] in str(item)


def test_a_large_finite_vector_is_not_bad() -> None:
    client = fakeredis.FakeRedis()
    huge = [3e38] * DIM  # near float32's largest
    client.set(vectors.feature_key("huge"), vectors.encode_features(huge))
    assert redis_store.fetch_features(client, "huge", DIM) == list(
        struct.unpack(f"<{DIM}f", struct.pack(f"<{DIM}f", *huge))
    )


def test_bad_entities_are_logged_once_each_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = fakeredis.FakeRedis()
    names = ("logged-short", "logged-nan")  # ids no other test has logged
    client.set(vectors.feature_key(names[0]), vectors.encode_features([0.5]))
    client.set(vectors.feature_key(names[1]), vectors.encode_features([math.nan] * DIM))
    with caplog.at_level(logging.WARNING, logger="scoring.vectors"):
        for _ in range(50):
            for name in names:
                with pytest.raises(vectors.BadFeatures):
                    redis_store.fetch_features(client, name, DIM)
    lines = [r for r in caplog.records if r.name == "scoring.vectors"]
    assert sorted(r.getMessage().split(":")[0] for r in lines) == [
        f"bad features for entity_id {name!r}" for name in sorted(names)
    ]
    assert all(r.exc_info is None for r in lines)
