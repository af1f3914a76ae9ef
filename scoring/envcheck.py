"""Settings from the environment, checked: a misspelt variable or a bad value is one clear line.

Generic over pydantic-settings models: the project's own fields are in
scoring/settings.py, which names its models and their prefixes.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import AliasChoices, ValidationError
from pydantic_settings import BaseSettings


class SettingsError(ValueError):
    """A setting that cannot work, in one line that says what to change."""


Model = TypeVar("Model", bound=BaseSettings)
# the environment variable prefix of each settings model a project reads
Prefixed = Mapping[str, type[BaseSettings]]


def variable_names(model: type[BaseSettings]) -> dict[str, str]:
    """Each environment variable the model reads, and the field it sets."""
    prefix = str(model.model_config.get("env_prefix", ""))
    names = {}
    for field_name, info in model.model_fields.items():
        names[f"{prefix}{field_name}".upper()] = field_name
        if isinstance(info.validation_alias, AliasChoices):
            names.update({str(a).upper(): field_name for a in info.validation_alias.choices})
    return names


def check_environment(environ: Mapping[str, str], prefixed: Prefixed) -> None:
    """Raise SettingsError for a project-prefixed variable that no settings field reads."""
    for prefix, model in prefixed.items():
        known = variable_names(model)
        for name in sorted(environ):
            if name.upper().startswith(prefix) and name.upper() not in known:
                # judged without the shared prefix, which makes every name look alike
                suffixes = {k.removeprefix(prefix): k for k in known}
                close = difflib.get_close_matches(name.upper().removeprefix(prefix), suffixes, 1)
                hint = f"; did you mean {suffixes[close[0]]}?" if close else ""
                raise SettingsError(
                    f"{name} is not a setting{hint} ({model.__name__} in "
                    f"{model.__module__.replace('.', '/')}.py lists them)"
                )


def load(model: type[Model], prefixed: Prefixed, environ: Mapping[str, str] | None = None) -> Model:
    """Check the environment, then read the model from it; errors never show values."""
    check_environment(os.environ if environ is None else environ, prefixed)
    try:
        return model()
    except ValidationError as error:
        names = {v: k for k, v in reversed(variable_names(model).items())}
        problems = [
            f"{names.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else model.__name__}: "
            f"{e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        ]
        raise SettingsError("; ".join(problems)) from None


def as_environment(model: type[BaseSettings], **values: object) -> dict[str, str]:
    """The variables that set these fields of model in a child process, values validated."""
    validated = model.model_validate(values)  # a misspelt field or a bad value raises here
    prefix = str(model.model_config.get("env_prefix", ""))
    environment = {}
    for name in values:
        if name not in model.model_fields:
            raise SettingsError(f"{model.__name__} has no field {name}")
        value = getattr(validated, name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        environment[f"{prefix}{name}".upper()] = text
    return environment
