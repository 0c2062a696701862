"""Reading middleware options from a framework's settings (``CFCOOKIES_*`` names)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from ..config import OPTION_NAMES
from ..exceptions import ConfigurationError


def import_callable(value: Any, option: str) -> Any:
    """``value`` itself, or the object named by a dotted path ``package.module.name``."""
    if not isinstance(value, str):
        return value
    module_name, _, attribute = value.rpartition(".")
    if not module_name:
        raise ConfigurationError(f"{option} must be a callable or a dotted path, got {value!r}")
    try:
        return getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"{option}: cannot import {value!r} ({exc})") from None


def options_from(settings: Mapping[str, Any], prefix: str = "CFCOOKIES_") -> dict[str, Any]:
    """The options found in ``settings`` under ``CFCOOKIES_<NAME>`` (unknown names refused)."""
    options: dict[str, Any] = {}
    for key, value in settings.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower()
        if name not in OPTION_NAMES:
            raise ConfigurationError(
                f"unknown setting {key}; known: "
                + ", ".join(prefix + n.upper() for n in OPTION_NAMES)
            )
        options[name] = value
    if "grants" in options:
        options["grants"] = import_callable(options["grants"], prefix + "GRANTS")
    return options
