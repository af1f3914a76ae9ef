"""Feature vectors in Redis, framework- and client-free: the key layout and the checks of a vector.

Each entity's features are one Redis string of little-endian float32 under
features:<entity_id>; a hash under features-meta says how many entities and
dimensions were seeded. A stored vector that cannot be scored raises
BadFeatures, which fails only its own request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import struct
import time
from collections import OrderedDict
from collections.abc import Sequence

logger = logging.getLogger(__name__)

KEY_PREFIX = "features:"
META_KEY = "features-meta"
Features = list[float]


class BadFeatures(ValueError):
    """A stored vector that cannot be scored: its request fails, the rest of its batch does not."""

    def __init__(self, entity_id: str, problem: str) -> None:
        super().__init__(f"bad features for entity_id {entity_id!r}: {problem}")
        self.entity_id = entity_id
        _bad_log.warn(entity_id, str(self))


class _OncePerEntity:
    """Log one line per bad entity per interval, no traceback, in bounded memory."""

    def __init__(self, interval_s: float = 60.0, remembered: int = 10_000) -> None:
        self.interval_s = interval_s
        self.remembered = remembered
        self._last: OrderedDict[str, float] = OrderedDict()

    def warn(self, entity_id: str, message: str) -> None:
        now = time.monotonic()
        last = self._last.get(entity_id)
        if last is not None and now - last < self.interval_s:
            return
        self._last[entity_id] = now
        self._last.move_to_end(entity_id)
        while len(self._last) > self.remembered:
            self._last.popitem(last=False)
        logger.warning("%s (logged once per entity per %.0f s)", message, self.interval_s)


_bad_log = _OncePerEntity()
# per-item result of a batched read: a vector, None when unknown, or what is wrong with it
Fetched = Features | None | BadFeatures


def feature_key(entity_id: str) -> str:
    """Return the Redis key that holds one entity's feature vector."""
    return f"{KEY_PREFIX}{entity_id}"


def entity_id_for(index: int) -> str:
    """Return the id of the index-th seeded entity."""
    return f"e{index:07d}"


def make_features(entity_id: str, dim: int) -> Features:
    """Derive a float32-exact vector in [-1, 1) from the entity id."""
    needed = 4 * dim
    stream = b""
    counter = 0
    while len(stream) < needed:
        stream += hashlib.sha256(f"{entity_id}/{counter}".encode()).digest()
        counter += 1
    words = struct.unpack(f"<{dim}I", stream[:needed])
    # float32 round trip so the stored bytes decode to exactly these values
    return decode_features(encode_features([w / 2**31 - 1.0 for w in words]))


def encode_features(features: Sequence[float]) -> bytes:
    """Pack a vector as little-endian float32: 4 bytes per feature."""
    return struct.pack(f"<{len(features)}f", *features)


def decode_features(raw: bytes) -> Features:
    """Unpack a vector written by encode_features."""
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def checked_features(entity_id: str, raw: bytes | str, dim: int) -> Features:
    """Decode a stored vector, or raise BadFeatures saying why it cannot be scored."""
    if isinstance(raw, str):  # a client built with decode_responses=True
        raise TypeError("feature store clients must not decode responses")
    if len(raw) != 4 * dim:
        raise BadFeatures(entity_id, f"{len(raw)} bytes stored, {4 * dim} expected ({dim} float32)")
    vector = decode_features(raw)
    for position, value in enumerate(vector):
        if not math.isfinite(value):
            raise BadFeatures(entity_id, f"feature {position} is {value}")
    return vector


def wrong_type(entity_id: str, redis_type: bytes | str) -> BadFeatures:
    name = redis_type.decode() if isinstance(redis_type, bytes) else redis_type
    return BadFeatures(entity_id, f"stored as a Redis {name}, not a string")
