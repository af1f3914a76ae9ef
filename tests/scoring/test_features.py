"""Key layout and feature generation; fakeredis stands in only for pure layout checks."""

from __future__ import annotations

import fakeredis
import pytest

from scoring import features


def test_feature_key_is_the_only_layout() -> None:
    assert features.feature_key("e0000042") == "features:e0000042"
    assert features.entity_id_for(42) == "e0000042"


def test_features_are_deterministic_float32_exact_and_bounded() -> None:
    first = features.make_features("e0000001", 16)
    assert first == features.make_features("e0000001", 16)
    assert first != features.make_features("e0000002", 16)
    assert len(first) == 16
    assert all(-1.0 <= x < 1.0 for x in first)
    assert features.decode_features(features.encode_features(first)) == first


def test_long_vectors_draw_on_more_than_one_digest() -> None:
    vector = features.make_features("e1", 64)
    assert len(set(vector)) == 64


def test_seed_is_idempotent_and_lookups_agree() -> None:
    client = fakeredis.FakeRedis()
    features.seed(client, 25, 8, chunk=10)
    features.seed(client, 25, 8, chunk=7)
    assert client.dbsize() == 26  # 25 vectors and the meta hash
    assert features.seeded_entities(client) == 25
    assert features.fetch_features(client, "e0000024") == features.make_features("e0000024", 8)
    assert features.fetch_features(client, "e0000025") is None


async def test_async_lookups_match_sync_ones() -> None:
    client = fakeredis.FakeAsyncRedis()
    await client.mset({features.feature_key("x"): features.encode_features([0.5, -0.25])})
    assert await features.fetch_features_async(client, "x") == [0.5, -0.25]
    assert await features.fetch_many_async(client, ["x", "missing"]) == [[0.5, -0.25], None]


def test_decoded_clients_are_refused() -> None:
    client = fakeredis.FakeRedis(decode_responses=True)
    client.set(features.feature_key("x"), "text")
    with pytest.raises(TypeError, match="decode responses"):
        features.fetch_features(client, "x")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@host:6380/0", "redis://:***@host:6380/0"),
        ("rediss://user:s3cret@host/1", "rediss://user:***@host/1"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_redacted_url_hides_passwords(url: str, shown: str) -> None:
    assert features.redacted_url(url) == shown
