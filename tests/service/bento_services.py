"""The project's BentoML services, for the tests that check something of each one."""

from __future__ import annotations

from typing import Any


def model_services() -> list[Any]:
    from service.models import ModelA, ModelB

    return [ModelA, ModelB]


def remote_entries() -> list[Any]:
    """The entries that call the model services over the hop."""
    from service.per_request import PerRequestScorer
    from service.service import Scorer

    return [Scorer, PerRequestScorer]


def bento_services() -> list[Any]:
    from service.edge import EdgeScorer

    scorer, per_request = remote_entries()
    return [scorer, *model_services(), EdgeScorer, per_request]


def has_startup_hook(service: Any, name: str) -> bool:
    """Whether BentoML runs the service's method `name` once the worker's instance exists."""
    hook = getattr(service.inner, name, None)
    return hook is not None and bool(getattr(hook, "__bentoml_startup_hook__", False))
