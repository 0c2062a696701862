"""The middleware's options: their types, and reading them from settings.

:class:`Options` names every keyword option of :class:`cfcookies.session.CloudFrontCookies` with
its type, so that the adapters can take ``**options: Unpack[Options]`` and a type checker
catches a misspelt or mistyped option before the app starts. :func:`check_option_names` does the
same at run time, naming the option meant (Starlette's ``same_site`` is ``samesite`` here).

:func:`load_options` is the one configuration loader every adapter uses: it reads the
``CFCOOKIES_<OPTION>`` entries of any mapping (``os.environ``, Flask's ``app.config``, Django's
``settings.CFCOOKIES`` with ``prefix=""``) and turns text into what each option's type in
:class:`Options` needs (``CFCOOKIES_LIFETIME=30m``, ``CFCOOKIES_SECURE=false``).

Each option's check at start-up is in :mod:`cfcookies.checks`.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import cache
from importlib import import_module
from typing import Any, Literal, TypedDict, cast, get_args, get_origin

from .clock import duration_seconds
from .cookies import (
    SameSite,
)
from .exceptions import SettingError, UnknownOptionError
from .keys import KeyRing, KeySource, PrivateKey, SigningKey
from .metrics import MetricHook
from .policy import Clock
from .revocation import (
    DenyList,
    DenyOutbox,
    DenyWriteFailure,
    SessionSecrets,
)
from .signing import HashAlgorithm

__all__ = [
    "OPTION_NAMES",
    "OTHER_SPELLINGS",
    "Options",
    "Seconds",
    "Settings",
    "check_option_names",
    "load_options",
    "require_settings",
]

Seconds = int | timedelta


class Options(TypedDict, total=False):
    """The keyword options of :class:`~cfcookies.session.CloudFrontCookies` (and of every
    middleware that builds one); see docs/middleware.md for what each does."""

    media_url: str
    state_secret: str | bytes | Sequence[str | bytes]
    keys: KeyRing | SigningKey | None
    key_pair_id: str | None
    private_key: PrivateKey | KeySource | None
    passphrase: str | bytes | None
    cookie_domain: str | None
    grants: Callable[[Any], Any] | None
    lifetime: Seconds
    renew_before: Seconds
    granularity: Seconds
    max_session_age: Seconds | None
    max_prefixes: int
    secure: bool
    httponly: bool
    samesite: SameSite | None
    persistent: bool
    hash_algorithm: HashAlgorithm | None
    state_cookie_name: str | None
    keepalive_path: str | None
    signature_cache_size: int
    clock: Clock
    insecure_allow_http: bool
    session_secrets: SessionSecrets | None
    deny_list: DenyList | None
    deny_outbox: str | os.PathLike[str] | DenyOutbox | None
    on_deny_failure: Callable[[DenyWriteFailure], None] | None
    deny_timeout: float
    deny_wait: float
    session_cookie_name: str
    client_ip: Callable[[Any], Any] | None
    session_binding: Callable[[Any], Any] | None
    on_metric: MetricHook | None


class Settings(TypedDict, total=False):
    """The options as settings hold them (Django's ``settings.CFCOOKIES``): each may also be
    text, read by :func:`load_options` (``"lifetime": "30m"``, ``"grants": "app.views.granted"``).
    Annotate ``CFCOOKIES: Settings = {...}`` and a type checker catches a misspelt name."""

    media_url: str
    state_secret: str | bytes | Sequence[str | bytes]
    keys: KeyRing | SigningKey | str | None
    key_pair_id: str | None
    private_key: PrivateKey | KeySource | None
    passphrase: str | bytes | None
    cookie_domain: str | None
    grants: Callable[[Any], Any] | str | None
    lifetime: Seconds | str
    renew_before: Seconds | str
    granularity: Seconds | str
    max_session_age: Seconds | str | None
    max_prefixes: int | str
    secure: bool | str
    httponly: bool | str
    samesite: SameSite | str | None
    persistent: bool | str
    hash_algorithm: HashAlgorithm | str | None
    state_cookie_name: str | None
    keepalive_path: str | None
    signature_cache_size: int | str
    clock: Clock | str
    insecure_allow_http: bool | str
    session_secrets: SessionSecrets | str | None
    deny_list: DenyList | str | None
    deny_outbox: str | os.PathLike[str] | DenyOutbox | None
    on_deny_failure: Callable[[DenyWriteFailure], None] | str | None
    deny_timeout: float | str
    deny_wait: float | str
    session_cookie_name: str
    client_ip: Callable[[Any], Any] | str | None
    session_binding: Callable[[Any], Any] | str | None
    on_metric: MetricHook | str | None


#: Every option's name, in the order of :class:`Options`.
OPTION_NAMES: tuple[str, ...] = tuple(Options.__annotations__)

#: Other libraries' names for what a cfcookies option does (Starlette's ``SessionMiddleware``,
#: Django's ``SESSION_COOKIE_*`` settings), each with the cfcookies option and a note. They are
#: refused, never taken as the option: the message names the option to use instead.
OTHER_SPELLINGS: dict[str, tuple[str, str]] = {
    "same_site": (
        "samesite",
        " (werkzeug's spelling; Starlette's SessionMiddleware says same_site)",
    ),
    "https_only": ("secure", " (Starlette's SessionMiddleware says https_only)"),
    "http_only": ("httponly", " (werkzeug's spelling)"),
    "domain": ("cookie_domain", ", the Domain of the CloudFront cookies"),
    "secret_key": ("state_secret", ", the secret that signs the state cookie"),
    "session_cookie": ("state_cookie_name", ", the name of cfcookies' own state cookie"),
    "max_age": (
        "lifetime",
        ": how long a policy is valid, renewed while the browser comes back; "
        "persistent=True gives the cookies a Max-Age",
    ),
    "age": ("max_session_age", ", how long a session may be renewed"),
    "key_id": ("key_pair_id", ", the CloudFront public key ID"),
    "public_key_id": ("key_pair_id", ", the CloudFront public key ID"),
    "key": ("private_key", ", a path, the PEM itself, or a loaded key"),
}

#: ``CFCOOKIES_*`` names that other cfcookies tools read: the CLI's ``revocation`` commands
#: (``CFCOOKIES_SESSION_SECRET``), the project's scripts and test suite (``CFCOOKIES_VENV``,
#: ``CFCOOKIES_REQUIRE_BROWSER`` and the like, which CI exports): :func:`load_options` leaves
#: them alone, so an environment that runs those tools still configures the middleware.
OTHER_TOOLS_SETTINGS = frozenset(
    {
        "session_secret",
        "venv",
        "require_browser",
        "require_node",
        "require_njs",
        "chromium",
        "fuzz_runs",
    }
)

#: Options whose value is never shown in an error message.
SECRET_OPTIONS = frozenset({"state_secret", "private_key", "passphrase", "keys", "session_secrets"})


def _unknown_option(name: str, shown: Callable[[str], str], what: str) -> UnknownOptionError:
    """The error for an option cfcookies does not have, naming the one meant if it can tell."""
    other = OTHER_SPELLINGS.get(name.lower())
    if other is not None:
        option, note = other
        message = f"unknown {what} {shown(name)}: cfcookies calls it {shown(option)}{note}"
    else:
        close = difflib.get_close_matches(name.lower(), OPTION_NAMES, n=1, cutoff=0.75)
        if close:
            message = f"unknown {what} {shown(name)}; did you mean {shown(close[0])}?"
        else:
            known = ", ".join(shown(option) for option in OPTION_NAMES)
            message = f"unknown {what} {shown(name)}; the {what}s are {known}"
    return UnknownOptionError(message, name=name)


def check_option_names(options: Mapping[str, object]) -> None:
    """Raise :class:`~cfcookies.exceptions.UnknownOptionError` for the first key of
    ``options`` that is not an option, naming the option meant: ``unknown option 'same_site':
    cfcookies calls it 'samesite'``, ``unknown option 'cookie_domian'; did you mean
    'cookie_domain'?``."""
    for name in options:
        if name not in OPTION_NAMES:
            raise _unknown_option(name, repr, "option")


_REQUIRED = {
    "media_url": "the distribution's origin, like https://media.example.com",
    "state_secret": "32+ random bytes that sign the state cookie",
    "key_pair_id": "the CloudFront public key ID, like K2JCJMDEHXQW5F",
    "private_key": "the private key: a path, or the PEM itself",
}


def require_settings(options: Options, prefix: str = "CFCOOKIES_") -> None:
    """Raise :class:`~cfcookies.exceptions.SettingError` naming the first setting that
    ``options`` (read from settings, with the code's own) lack and need: ``media_url``,
    ``state_secret``, and ``key_pair_id`` with ``private_key`` unless ``keys`` is given."""
    for option, what in _REQUIRED.items():
        if options.get(option) is None and not (
            option in ("key_pair_id", "private_key") and options.get("keys") is not None
        ):
            setting = prefix + option.upper()
            raise SettingError(f"{setting} is not set: {what}", setting=setting, option=option)


def options_from_env(environ: Mapping[str, str] | None, prefix: str, options: Options) -> Options:
    """What a ``from_env`` constructor builds with: the ``<prefix>*`` settings of ``environ``
    (by default ``os.environ``), then ``options`` given in code, which win; a required one set
    nowhere is named as the variable to set."""
    found = load_options(os.environ if environ is None else environ, prefix)
    check_option_names(options)
    found.update(options)
    require_settings(found, prefix)
    return found


# -- reading options from text ------------------------------------------------------------------

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_INTEGER = re.compile(r"[0-9]{1,9}")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")

#: What a text value is read as: a kind per option, from its type in :class:`Options`.
TextKind = Literal["text", "secrets", "choice", "bool", "duration", "int", "float", "import"]


def _members(hint: object) -> tuple[object, ...]:
    """The members of a union (``X | Y``, ``Optional[X]``), else the type itself."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(member for arg in get_args(hint) for member in _members(arg))
    return (hint,)


@cache
def text_kinds() -> dict[str, tuple[TextKind, bool, tuple[str, ...]]]:
    """Each option's text kind, whether it takes None (an empty value), and its choices.

    Derived from :class:`Options`: ``bool`` reads ``true``/``false``; ``int | timedelta`` a
    duration; ``int`` and ``float`` numbers; a ``Literal`` one of its values; an option that
    takes ``str`` keeps the text (``state_secret`` also takes a JSON list); anything else (a
    callable, a key ring, a deny-list) is imported from a dotted path.
    """
    kinds: dict[str, tuple[TextKind, bool, tuple[str, ...]]] = {}
    for name, hint in typing.get_type_hints(Options).items():
        members = _members(hint)
        optional = type(None) in members
        literals = tuple(
            str(value)
            for member in members
            if get_origin(member) is Literal
            for value in get_args(member)
        )
        kind: TextKind
        if literals:
            kind = "choice"
        elif bool in members:
            kind = "bool"
        elif timedelta in members:
            kind = "duration"
        elif str in members:
            kind = "secrets" if name == "state_secret" else "text"
        elif int in members:
            kind = "int"
        elif float in members:
            kind = "float"
        else:
            kind = "import"
        kinds[name] = (kind, optional, literals)
    return kinds


def import_object(path: str) -> Any:
    """The object named by the dotted path ``package.module.name``."""
    module_name, _, attribute = path.rpartition(".")
    return getattr(import_module(module_name), attribute)


def _from_text(option: str, setting: str, text: str) -> object:
    """The value of ``option`` written as ``text`` in the setting named ``setting``."""
    kind, optional, choices = text_kinds()[option]
    stripped = text.strip()
    shown = "(value not shown)" if option in SECRET_OPTIONS else repr(text)

    def wrong(expected: str) -> SettingError:
        return SettingError(
            f"{setting} must be {expected}, got {shown}", setting=setting, option=option
        )

    if not stripped:
        if optional:
            return None
        if kind in ("text", "secrets"):
            return text  # the middleware says what is missing
        raise wrong(_EXPECTED[kind].format(", ".join(choices)))
    if kind == "text":
        return text
    if optional and kind != "choice" and stripped.lower() == "none":
        return None
    if kind == "secrets":
        if not stripped.startswith("["):
            return text
        try:
            secrets = json.loads(stripped)
        except ValueError:
            secrets = None
        if not isinstance(secrets, list) or not all(isinstance(item, str) for item in secrets):
            raise wrong("one secret, or a JSON list of secrets (newest first)")
        return secrets
    if kind == "choice":
        for choice in choices:
            if stripped.lower() == choice.lower():
                return choice
    elif kind == "bool":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
    elif kind == "duration":
        duration = duration_seconds(stripped.lower())
        if duration is not None:
            return duration
    elif kind == "int":
        if _INTEGER.fullmatch(stripped):
            return int(stripped)
    elif kind == "float":
        try:
            number = float(stripped)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
    elif _DOTTED.fullmatch(stripped):
        try:
            return import_object(stripped)
        except (ImportError, AttributeError) as exc:
            detail = f" ({exc})" if option not in SECRET_OPTIONS else ""
            raise SettingError(
                f"{setting}: cannot import {shown}{detail}", setting=setting, option=option
            ) from None
    raise wrong(_EXPECTED[kind].format(", ".join(choices)))


_EXPECTED: dict[TextKind, str] = {
    "text": "text",
    "secrets": "one secret, or a JSON list of secrets (newest first)",
    "choice": "one of {}",
    "bool": "true or false (also 1/0, yes/no, on/off)",
    "duration": "whole seconds or a duration like 90s, 30m, 12h or 7d",
    "int": "a whole number",
    "float": "a number of seconds",
    "import": "a dotted path to the object, like myapp.media.granted_prefixes",
}


def load_options(source: Mapping[str, object], prefix: str = "CFCOOKIES_") -> Options:
    """The options set in ``source``: ``os.environ``, Flask's ``app.config``, a dict.

    With a ``prefix`` (``CFCOOKIES_`` by default) the entries named ``<prefix><OPTION>`` are
    read (``CFCOOKIES_MEDIA_URL`` is ``media_url``) and the others are left alone; with
    ``prefix=""`` every key must be an option's name (Django's ``settings.CFCOOKIES``).

    Text becomes what the option's type needs: ``CFCOOKIES_LIFETIME=3600`` or ``30m``,
    ``CFCOOKIES_SECURE=false``, ``CFCOOKIES_MAX_PREFIXES=5``, ``CFCOOKIES_SAMESITE=strict``,
    ``CFCOOKIES_GRANTS=myapp.media.granted_prefixes`` (callables and objects by dotted path),
    ``CFCOOKIES_STATE_SECRET='["new...", "old..."]'`` (a JSON list to rotate); an empty value is
    None for the options that take it (``CFCOOKIES_COOKIE_DOMAIN=``). Values that are not text
    are taken as they are: the middleware checks every option when it is built.

    An unknown name raises :class:`~cfcookies.exceptions.UnknownOptionError` naming the one
    meant; a value that cannot be read, :class:`~cfcookies.exceptions.SettingError` naming the
    setting (and never showing a secret's value).
    """
    if prefix:
        shown: Callable[[str], str] = lambda name: prefix + name.upper()  # noqa: E731
    else:
        shown = repr
    options: dict[str, object] = {}
    for key, value in source.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :].lower() if prefix else key
        if name not in OPTION_NAMES:
            if prefix and name in OTHER_TOOLS_SETTINGS:
                continue
            raise _unknown_option(
                key[len(prefix) :] if prefix else key, shown, "setting" if prefix else "option"
            )
        options[name] = _from_text(name, shown(name), value) if isinstance(value, str) else value
    return cast(Options, options)
