"""``cfcookies verify``: decide as CloudFront would whether a request is allowed, and why.

Given a URL with its Cookie header, or a browser HAR export, it prints the decision and the
report of :func:`cfcookies.diagnose.explain`; with ``--json``, one JSON object instead (its
shape is :func:`verdict`, documented in ``docs/cli.md``). URLs, cookies and HAR contents come
from clients: everything printed passes through :func:`cfcookies.diagnose.printable`, so their
control characters and bidi overrides are printed escaped (``\\x1b``, ``\\r``, ``\\u202e``),
never sent to the terminal (JSON is written with ASCII escapes, which is as safe).

``--cookie`` takes what ``cfcookies cookies`` prints, either format (a ``Cookie:`` line or the
JSON object), or the header value alone; ``--cookie -`` reads it from stdin, so the two chain::

    cfcookies cookies … --format header | cfcookies verify … --url URL --cookie -

A HAR export is read and checked here, so that a file that is not one is refused with its name
and what is wrong with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diagnose import printable
from ..exceptions import ConfigurationError
from ..keys import validate_key_pair_id
from .common import Subparsers, epoch, load_public_spec

if TYPE_CHECKING:
    from ..verify import Decision

__all__ = ["read_cookie", "read_har", "register", "verdict"]

#: The library's argument names as this command's flags (see :func:`~.common.cli_message`).
_FLAGS = {
    "key_pair_id": "--key-pair-id",
    "cookie_header": "--cookie",
    "client_ip": "--client-ip",
}


def register(subparsers: Subparsers) -> None:
    """Add the ``verify`` command to ``subparsers``."""
    verify = subparsers.add_parser(
        "verify",
        help="decide as CloudFront would whether a request is allowed, and why",
        description="Decide as CloudFront would whether a request is allowed, and why. Exits 0 "
        "when CloudFront would serve it, 1 when it would refuse it (or on an error), 2 on a "
        "usage error.",
    )
    verify.add_argument(
        "--public-key",
        action="append",
        metavar="PATH",
        help="a trusted public key (repeat with --key-pair-id for several)",
    )
    verify.add_argument(
        "--key-pair-id", action="append", metavar="ID", help="the ID of the --public-key"
    )
    verify.add_argument("--url", metavar="URL", help="the full URL the viewer requested")
    verify.add_argument(
        "--cookie",
        metavar="HEADER",
        help="the cookies the viewer sent: a Cookie header (name=value; …, with or without "
        "'Cookie: ') or the JSON object of `cfcookies cookies`; - reads it from stdin",
    )
    verify.add_argument(
        "--har", metavar="FILE", help="a browser HAR export: explain its media requests"
    )
    verify.add_argument("--client-ip", metavar="IP", help="the viewer's IP address")
    verify.add_argument(
        "--at", type=epoch, metavar="EPOCH", help="judge at this time (default: now)"
    )
    verify.add_argument(
        "--json",
        action="store_true",
        help="print the verdict as one JSON object (allowed, code, reason, checks …) for "
        "scripts; with --url only",
    )
    verify.set_defaults(func=_cmd_verify, flag_names=_FLAGS)


# --- input ---------------------------------------------------------------------------------------


def read_cookie(text: str) -> str:
    """The ``Cookie`` header value in what ``--cookie`` was given.

    ``Cookie: a=b; c=d`` (what ``cfcookies cookies --format header`` prints) and the JSON object
    of ``cfcookies cookies`` both become ``a=b; c=d``; a header value alone is kept as it is.
    """
    value = text.strip()
    if value.startswith("{"):
        try:
            cookies = json.loads(value)
        except ValueError:
            raise ConfigurationError(
                "--cookie starts with { but is not a JSON object; give a Cookie header "
                "(name=value; …) or the JSON that cfcookies cookies prints"
            ) from None
        if not isinstance(cookies, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in cookies.items()
        ):
            raise ConfigurationError(
                "--cookie JSON must be one object of cookie names to string values, as "
                "cfcookies cookies prints it"
            )
        return "; ".join(f"{name}={value}" for name, value in cookies.items())
    name, colon, rest = value.partition(":")
    if colon and name.strip().lower() == "cookie":
        return rest.strip()
    return value


def read_har(path: str) -> dict[str, Any]:
    """The HAR export at ``path``, checked for what ``verify`` reads: ``log.entries``, each an
    object whose ``request`` holds a string ``url``. A file that is not one is refused with its
    name and what is wrong (the first problem found)."""
    shown = repr(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"no HAR file at {shown}") from None
    except IsADirectoryError:
        raise ConfigurationError(f"{shown} is a folder, not a HAR file") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{shown} is not a HAR export: it is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read the HAR file {shown}: {exc.strerror}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"{shown} is not a HAR export: it is not JSON ({exc.args[0].split(':')[0]})"
        ) from None

    def problem(what: str) -> ConfigurationError:
        return ConfigurationError(
            f"{shown} is not a HAR export: {what} (a browser's 'Save all as HAR' writes "
            '{"log": {"entries": [{"request": {"url": …}}, …]}})'
        )

    if not isinstance(doc, dict):
        raise problem(f"it holds {_json_kind(doc)}, not an object with a log")
    log = doc.get("log")
    if not isinstance(log, dict):
        raise problem(f"its log is {_json_kind(log)}, not an object")
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise problem(f"its log.entries is {_json_kind(entries)}, not a list")
    for number, entry in enumerate(entries):
        where = f"log.entries[{number}]"
        if not isinstance(entry, dict):
            raise problem(f"{where} is {_json_kind(entry)}, not an object")
        request = entry.get("request")
        if not isinstance(request, dict):
            raise problem(f"{where}.request is {_json_kind(request)}, not an object")
        if not isinstance(request.get("url"), str):
            raise problem(f"{where}.request.url is {_json_kind(request.get('url'))}, not a URL")
    return doc


def _json_kind(value: object) -> str:
    """What a JSON value is, for a message (never the value itself, which may be long)."""
    if value is None:
        return "missing (or null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


# --- output --------------------------------------------------------------------------------------


def verdict(decision: Decision, *, at: int) -> dict[str, Any]:
    """The ``--json`` output: a decision as plain JSON values, in a shape kept stable.

    ``verdict`` is ``"allowed"`` or ``"denied"`` (and ``allowed`` the same as a boolean),
    ``code`` CloudFront's 403 ``<Code>`` (``null`` when allowed), ``reason`` the
    :class:`~cfcookies.exceptions.VerificationError` reason (``"allowed"`` when allowed),
    ``failed_check`` the name of the check that failed, ``checks`` every check in CloudFront's
    order, and the facts read from the request (``mode``, ``key_pair_id``, ``hash_algorithm``,
    ``policy``). New keys may be added; these keep their meaning.
    """
    policy = decision.policy
    failed = decision.failed_check
    return {
        "verdict": "allowed" if decision.allowed else "denied",
        "allowed": decision.allowed,
        "status": 200 if decision.allowed else 403,
        "code": decision.code,
        "reason": decision.reason,
        "failed_check": failed.name if failed else None,
        "message": decision.message,
        "url": decision.url,
        "at": at,
        "mode": decision.mode,
        "key_pair_id": decision.key_pair_id,
        "hash_algorithm": decision.hash_algorithm,
        "policy": None
        if policy is None
        else {
            "resource": policy.resource,
            "date_less_than": policy.date_less_than,
            "date_greater_than": policy.date_greater_than,
            "ip_address": policy.ip_address,
        },
        "checks": [
            {"name": c.name, "title": c.title, "status": c.status, "detail": c.detail}
            for c in decision.checks
        ],
        "notes": list(decision.notes),
    }


def _out(text: str) -> None:
    print(printable(text, keep_newlines=True), end="")


# --- the command ---------------------------------------------------------------------------------


def _cmd_verify(args: argparse.Namespace) -> int:
    from ..clock import epoch_now
    from ..diagnose import explain
    from ..policy import system_clock
    from ..verify import verify_request

    specs: list[str] = args.public_key or []
    ids: list[str] = args.key_pair_id or []
    if not specs or len(specs) != len(ids):
        raise ConfigurationError(
            "give one --key-pair-id for each --public-key, in the same order "
            f"(got {len(specs)} keys and {len(ids)} IDs)"
        )
    public_keys = {
        validate_key_pair_id(i): load_public_spec(s) for s, i in zip(specs, ids, strict=True)
    }
    if args.har is None and args.url is None:
        raise ConfigurationError("verify needs --url URL (with --cookie HEADER) or --har FILE")
    at = epoch_now(system_clock, args.at)
    if args.har is not None:
        if args.cookie is not None:
            raise ConfigurationError("--cookie is read from the HAR export; drop one of them")
        if args.json:
            raise ConfigurationError(
                "--json works with --url (one request); a HAR export is explained in words"
            )
        report = explain(
            args.url,
            har=read_har(args.har),
            public_keys=public_keys,
            client_ip=args.client_ip,
            now=at,
        )
        _out(report)
        refused = "result: DENIED" in report or "has no " in report
        return 1 if refused else 0
    cookie = None
    if args.cookie is not None:
        cookie = read_cookie(sys.stdin.read() if args.cookie == "-" else args.cookie)
    decision = verify_request(
        args.url, cookies=cookie, public_keys=public_keys, client_ip=args.client_ip, now=at
    )
    if args.json:
        print(json.dumps(verdict(decision, at=at), ensure_ascii=True))
        return 0 if decision.allowed else 1
    report = explain(
        args.url, cookie_header=cookie, public_keys=public_keys, client_ip=args.client_ip, now=at
    )
    if decision.allowed:
        first = f"allowed: {decision.message}"
    else:
        failed = decision.failed_check
        first = (
            f"denied: 403 {decision.code} ({failed.name if failed else decision.reason}): "
            f"{decision.message}"
        )
    print(printable(first))
    _out(report)
    return 0 if decision.allowed else 1
