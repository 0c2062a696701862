"""``cfcookies verify`` (cfcookies/cli/verify.py): decisions, HAR, no raw control characters."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cfcookies.keys import PrivateKey, SigningKey, load_private_key, public_key_pem
from cfcookies.signing import Signer, cf_b64encode
from tests.cli_support import AT, EXPIRES, RESOURCE, URL, cookie_header
from tests.support import ECDSA_KEY_ID, OLD_KEY_ID, RSA_KEY_ID, KeyFiles


@pytest.fixture
def rsa_cookies(rsa_key: PrivateKey) -> dict[str, str]:
    return Signer(SigningKey(RSA_KEY_ID, rsa_key)).cookies_for(
        RESOURCE, date_less_than=EXPIRES, ip_address="192.0.2.0/24"
    )


def _verify_args(key_files: KeyFiles, *extra: str) -> list[str]:
    return [
        "verify",
        "--public-key",
        str(key_files.public_pem),
        "--key-pair-id",
        RSA_KEY_ID,
        "--at",
        str(AT),
        "--client-ip",
        "192.0.2.10",
        *extra,
    ]


def test_verify_allowed(run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]) -> None:
    """Valid cookies for a matching URL exit 0 and say why."""
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", cookie_header(rsa_cookies)))
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("allowed:")
    assert "ALLOWED" in result.out


@pytest.mark.parametrize(
    ("change", "check"),
    [
        pytest.param(
            {"--url": "https://media.example.com/videos/course-10/a.ts"}, "resource", id="resource"
        ),
        pytest.param({"--at": str(EXPIRES)}, "date_less_than", id="expired"),
        pytest.param({"--client-ip": "198.51.100.1"}, "ip_address", id="ip"),
        pytest.param({"--key-pair-id": OLD_KEY_ID}, "trusted_key", id="unknown-key"),
    ],
)
def test_verify_denied_names_the_failed_check(
    run: Any,
    key_files: KeyFiles,
    rsa_cookies: dict[str, str],
    change: dict[str, str],
    check: str,
) -> None:
    """A refused request exits 1 and names the check CloudFront would fail."""
    args = _verify_args(key_files, "--url", URL, "--cookie", cookie_header(rsa_cookies))
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    result = run(*args)
    assert result.code == 1
    assert result.out.startswith("denied: 403")
    assert f"({check})" in result.out.splitlines()[0]
    assert "[FAIL]" in result.out


def test_verify_tampered_cookie_fails_signature(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """A cookie whose policy was edited fails the signature check."""
    other = Signer(SigningKey(RSA_KEY_ID, load_private_key(key_files.ecdsa_pem))).cookies_for(
        "https://media.example.com/*", date_less_than=EXPIRES
    )
    tampered = dict(rsa_cookies, **{"CloudFront-Policy": other["CloudFront-Policy"]})
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", cookie_header(tampered)))
    assert result.code == 1
    assert "(signature)" in result.out.splitlines()[0]


def test_verify_signed_url_without_cookie(
    run: Any, key_files: KeyFiles, rsa_key: PrivateKey
) -> None:
    """A signed URL verifies without any --cookie."""
    signed = Signer(SigningKey(RSA_KEY_ID, rsa_key)).sign_url(URL, date_less_than=EXPIRES)
    result = run(*_verify_args(key_files, "--url", signed))
    assert result.code == 0, result.out
    assert "signed URL" in result.out


def test_verify_several_trusted_keys(
    run: Any, key_files: KeyFiles, ecdsa_key: PrivateKey, tmp_path: Path
) -> None:
    """Repeated --public-key/--key-pair-id pairs trust several keys."""
    ec_public = tmp_path / "ec.pem"
    ec_public.write_text(public_key_pem(ecdsa_key))
    cookies = Signer(SigningKey(ECDSA_KEY_ID, ecdsa_key)).cookies_for(
        RESOURCE, date_less_than=EXPIRES
    )
    args = _verify_args(key_files, "--url", URL, "--cookie", cookie_header(cookies))
    assert run(*args).code == 1
    both = run(*args, "--public-key", str(ec_public), "--key-pair-id", ECDSA_KEY_ID)
    assert both.code == 0, both.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["verify", "--public-key", "x.pem", "--url", URL], "one --key-pair-id", id="unpaired"
        ),
        pytest.param(["verify", "--url", URL], "one --key-pair-id", id="no-keys"),
    ],
)
def test_verify_key_pairs_must_match(run: Any, argv: list[str], message: str) -> None:
    """Every --public-key needs its --key-pair-id."""
    result = run(*argv)
    assert result.code == 1
    assert message in result.err


def test_verify_needs_url_or_har(run: Any, key_files: KeyFiles) -> None:
    """verify without --url or --har is an error."""
    result = run(*_verify_args(key_files))
    assert result.code == 1
    assert "--url" in result.err


def test_verify_missing_public_key_file(run: Any, tmp_path: Path) -> None:
    """A missing public key file is an error line, not a traceback."""
    result = run(
        "verify",
        "--public-key",
        str(tmp_path / "nope.pem"),
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
    )
    assert result.code == 1
    assert "no key file" in result.err


def test_verify_public_key_given_as_pem_text(
    run: Any, rsa_key: PrivateKey, rsa_cookies: dict[str, str]
) -> None:
    """--public-key also accepts the public key PEM itself (it is not secret)."""
    result = run(
        "verify",
        "--public-key",
        public_key_pem(rsa_key),
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
        "--cookie",
        cookie_header(rsa_cookies),
        "--client-ip",
        "192.0.2.1",
        "--at",
        str(AT),
    )
    assert result.code == 0, result.out + result.err


def test_verify_public_key_from_env(
    run: Any, monkeypatch: pytest.MonkeyPatch, rsa_key: PrivateKey, rsa_cookies: dict[str, str]
) -> None:
    """--public-key env:VAR reads the public key PEM from the environment."""
    monkeypatch.setenv("CF_PUBLIC", public_key_pem(rsa_key))
    result = run(
        "verify",
        "--public-key",
        "env:CF_PUBLIC",
        "--key-pair-id",
        RSA_KEY_ID,
        "--url",
        URL,
        "--cookie",
        cookie_header(rsa_cookies),
        "--client-ip",
        "192.0.2.1",
        "--at",
        str(AT),
    )
    assert result.code == 0, result.out + result.err


def _har(url: str, cookie: str) -> dict[str, Any]:
    return {
        "log": {
            "entries": [
                {
                    "request": {
                        "url": url,
                        "headers": [{"name": "Cookie", "value": cookie}],
                    },
                    "response": {"status": 403, "headers": []},
                }
            ]
        }
    }


@pytest.mark.parametrize(
    ("at", "code", "verdict"),
    [
        pytest.param(AT, 0, "ALLOWED", id="allowed"),
        pytest.param(EXPIRES + 1, 1, "DENIED", id="denied"),
    ],
)
def test_verify_har(
    run: Any,
    key_files: KeyFiles,
    rsa_cookies: dict[str, str],
    tmp_path: Path,
    at: int,
    code: int,
    verdict: str,
) -> None:
    """--har explains the media requests of a browser export; exit 1 when one is denied."""
    har = tmp_path / "session.har"
    har.write_text(json.dumps(_har(URL, cookie_header(rsa_cookies))))
    args = _verify_args(key_files, "--har", str(har))
    args[args.index("--at") + 1] = str(at)
    result = run(*args)
    assert result.code == code, result.out + result.err
    assert verdict in result.out


def test_verify_har_and_cookie_conflict(run: Any, key_files: KeyFiles, tmp_path: Path) -> None:
    """--cookie together with --har is refused (the HAR holds the cookies)."""
    har = tmp_path / "s.har"
    har.write_text(json.dumps(_har(URL, "a=b")))
    result = run(*_verify_args(key_files, "--har", str(har), "--cookie", "a=b"))
    assert result.code == 1
    assert "--cookie" in result.err


# --- verify never writes a client's control characters to the terminal -------------------------

#: A URL as an attacker would hand it over: colours, a carriage return hiding the start of the
#: line, a backspace, a title-setting OSC, C1 CSI, and a right-to-left override.
HOSTILE_URL = (
    "https://media.example.com/videos/course-1/"
    "\x1b[31mred\rallowed\b\x1b]0;owned\x07\x9b2J\u202eevil\u2066.ts"
)


#: Terminal controls and bidi overrides: none may reach the output raw (newlines aside).
TERMINAL_CONTROLS = [
    *(chr(c) for c in range(0x20) if c != 0x0A),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
]


def _raw_controls(text: str) -> list[str]:
    return sorted({c for c in text if c in TERMINAL_CONTROLS})


def _forged_policy_cookies(rsa_cookies: dict[str, str]) -> str:
    """Cookies whose (unsigned) policy names a condition full of terminal escapes."""
    policy = {
        "Statement": [
            {
                "Resource": RESOURCE,
                "Condition": {
                    "DateLessThan": {"AWS:EpochTime": EXPIRES},
                    "\x1b[2J\x1b[32mAllowed\u202e": {"x": 1},
                },
            }
        ]
    }
    forged = cf_b64encode(json.dumps(policy, ensure_ascii=False).encode())
    return cookie_header(dict(rsa_cookies, **{"CloudFront-Policy": forged}))


def test_verify_escapes_control_characters_in_the_url(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """ESC sequences, CR, BS, BEL, C1 and bidi overrides in --url are printed escaped."""
    args = _verify_args(key_files, "--url", HOSTILE_URL, "--cookie", cookie_header(rsa_cookies))
    result = run(*args)
    assert result.code == 1  # a raw control character never matches a Resource
    assert result.out.startswith("denied: 403")
    assert _raw_controls(result.out + result.err) == []
    escaped = "\\x1b[31mred\\rallowed\\x08\\x1b]0;owned\\x07\\x9b2J\\u202eevil\\u2066.ts"
    assert escaped in result.out.splitlines()[1]  # the GET line of the report


def test_verify_escapes_bidi_overrides_in_an_allowed_url(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """Bidi overrides are valid in a matching URL, and still printed escaped when allowed."""
    url = URL.replace("seg-0001", "seg\u202e1000-ges\u2066\u2069")
    result = run(*_verify_args(key_files, "--url", url, "--cookie", cookie_header(rsa_cookies)))
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("allowed:")
    assert _raw_controls(result.out + result.err) == []
    assert "seg\\u202e1000-ges\\u2066\\u2069.ts" in result.out


def test_verify_escapes_control_characters_from_a_forged_cookie(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """A --cookie whose policy smuggles escapes into an error message is printed escaped."""
    args = _verify_args(key_files, "--url", URL, "--cookie", _forged_policy_cookies(rsa_cookies))
    result = run(*args)
    assert result.code == 1
    assert "(policy)" in result.out.splitlines()[0]
    assert _raw_controls(result.out + result.err) == []
    assert "\\x1b[2J\\x1b[32mAllowed\\u202e" in result.out


def test_verify_har_escapes_control_characters(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str], tmp_path: Path
) -> None:
    """A HAR's hostile URLs, cookies and Set-Cookie attributes are printed escaped."""
    doc = _har(HOSTILE_URL, cookie_header(rsa_cookies))
    forged = _har(URL.replace(".ts", "-2.ts"), _forged_policy_cookies(rsa_cookies))
    doc["log"]["entries"] += forged["log"]["entries"]
    doc["log"]["entries"].append(
        {
            "request": {"url": "https://app.example.com/login", "headers": []},
            "response": {
                "status": 200,
                "headers": [
                    {
                        "name": "Set-Cookie",
                        "value": "CloudFront-Policy=x; Path=/\x1b[8mhid\rden; "
                        "Domain=\u202emoc.elpmaxe",
                    },
                    {"name": "Set-Cookie", "value": "CloudFront-\x1b[5mX\u2067=y; Path=/"},
                ],
            },
        }
    )
    har = tmp_path / "hostile.har"
    har.write_text(json.dumps(doc))
    result = run(*_verify_args(key_files, "--har", str(har)))
    assert result.code == 1  # the forged policy is denied
    assert _raw_controls(result.out + result.err) == []
    assert "\\x1b[31mred\\rallowed" in result.out
    assert "\\x1b[2J\\x1b[32mAllowed\\u202e" in result.out
    assert "Path=/\\x1b[8mhid\\rden" in result.out
    assert "\\u202emoc.elpmaxe" in result.out
    assert "CloudFront-\\x1b[5mX\\u2067" in result.out
    # --url picks that one entry; a --url the HAR lacks is echoed escaped too.
    one = run(*_verify_args(key_files, "--har", str(har), "--url", HOSTILE_URL))
    assert _raw_controls(one.out + one.err) == []
    assert "\\x1b[31mred" in one.out
    missing = run(*_verify_args(key_files, "--har", str(har), "--url", URL + "\x1b[0m"))
    assert _raw_controls(missing.out + missing.err) == []
    assert "has no request for" in missing.out


def test_verify_har_with_lone_surrogates_is_printed(
    key_files: KeyFiles, rsa_cookies: dict[str, str], tmp_path: Path
) -> None:
    """JSON may hold lone surrogates ("\\ud800"): printed escaped, not a UnicodeEncodeError."""
    har = tmp_path / "surrogate.har"
    har.write_text(json.dumps(_har(URL.replace(".ts", "\ud800.ts"), "a=b")))
    done = subprocess.run(
        [sys.executable, "-m", "cfcookies", *_verify_args(key_files, "--har", str(har))],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"\\ud800.ts" in done.stdout


def test_verify_subprocess_stdout_has_no_escape_bytes(
    key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """Through ``python -m cfcookies``, the bytes written to stdout hold no ESC, CR or bidi."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cfcookies",
            *_verify_args(key_files, "--url", HOSTILE_URL, "--cookie", cookie_header(rsa_cookies)),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    for raw in (b"\x1b", b"\r", b"\x08", b"\x07", "\u202e".encode(), "\x9b".encode()):
        assert raw not in done.stdout
    assert b"\\x1b[31m" in done.stdout


# --- what `cfcookies cookies` prints goes straight into --cookie --------------------------------


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(lambda c: "Cookie: " + cookie_header(c), id="header-line"),
        pytest.param(lambda c: "cookie:" + cookie_header(c) + "\n", id="lowercase-no-space"),
        pytest.param(lambda c: json.dumps(c), id="json"),
    ],
)
def test_verify_cookie_takes_what_cookies_prints(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str], shape: Any
) -> None:
    """--cookie accepts a `Cookie:` line or the JSON object of `cfcookies cookies`."""
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", shape(rsa_cookies)))
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("allowed:")


def test_verify_cookie_from_stdin(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--cookie - reads the Cookie line from stdin."""
    monkeypatch.setattr("sys.stdin", io.StringIO("Cookie: " + cookie_header(rsa_cookies) + "\n"))
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", "-"))
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("{not json", "not a JSON object", id="broken-json"),
        pytest.param('{"CloudFront-Policy": 5}', "string values", id="json-not-strings"),
    ],
)
def test_verify_cookie_bad_json(run: Any, key_files: KeyFiles, value: str, fragment: str) -> None:
    """--cookie that starts as JSON but is not the cookies object is one error line."""
    result = run(*_verify_args(key_files, "--url", URL, "--cookie", value))
    assert result.code == 1
    assert result.err.startswith("cfcookies verify: error: --cookie")
    assert fragment in result.err


def test_cookies_header_pipes_into_verify(key_files: KeyFiles) -> None:
    """`cfcookies cookies --format header | cfcookies verify --cookie -` chains, as processes."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    cfcookies = [sys.executable, "-m", "cfcookies"]
    keys = ["--key-pair-id", RSA_KEY_ID]
    sign = ["--resource", RESOURCE, "--expires", "+1h", "--format", "header"]
    check = ["--url", URL, "--cookie", "-"]
    issued = subprocess.run(
        [*cfcookies, "cookies", "--private-key", str(key_files.rsa_pem), *keys, *sign],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.startswith("Cookie: ")
    verified = subprocess.run(
        [*cfcookies, "verify", "--public-key", str(key_files.public_pem), *keys, *check],
        input=issued.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("allowed:")


# --- verify --json --------------------------------------------------------------------------------

VERDICT_KEYS = {
    "verdict",
    "allowed",
    "status",
    "code",
    "reason",
    "failed_check",
    "message",
    "url",
    "at",
    "mode",
    "key_pair_id",
    "hash_algorithm",
    "policy",
    "checks",
    "notes",
}


def test_verify_json_allowed(run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]) -> None:
    """--json prints one JSON object: allowed, the facts of the policy, every check; exit 0."""
    result = run(
        *_verify_args(key_files, "--url", URL, "--cookie", cookie_header(rsa_cookies), "--json")
    )
    assert result.code == 0, result.err
    assert result.out.count("\n") == 1
    verdict = json.loads(result.out)
    assert set(verdict) == VERDICT_KEYS
    assert (verdict["verdict"], verdict["allowed"]) == ("allowed", True)
    assert (verdict["status"], verdict["code"], verdict["reason"]) == (200, None, "allowed")
    assert verdict["failed_check"] is None
    assert verdict["at"] == AT
    assert (verdict["mode"], verdict["key_pair_id"]) == ("cookie", RSA_KEY_ID)
    assert verdict["policy"] == {
        "resource": RESOURCE,
        "date_less_than": EXPIRES,
        "date_greater_than": None,
        "ip_address": "192.0.2.0/24",
    }
    assert [c["status"] for c in verdict["checks"]] == ["passed"] * len(verdict["checks"])
    assert {"name", "title", "status", "detail"} == set(verdict["checks"][0])


@pytest.mark.parametrize(
    ("extra", "code", "reason", "check"),
    [
        pytest.param(["--at", str(EXPIRES + 1)], "AccessDenied", "expired", "date_less_than",
                     id="expired"),
        pytest.param([], "MissingKey", "missing_key_pair_id", "signed_request", id="no-cookies"),
    ],
)  # fmt: skip
def test_verify_json_denied(
    run: Any,
    key_files: KeyFiles,
    rsa_cookies: dict[str, str],
    extra: list[str],
    code: str,
    reason: str,
    check: str,
) -> None:
    """A refusal in --json says denied, CloudFront's code, the reason and the failed check;
    exit 1 as without --json."""
    cookie = ["--cookie", cookie_header(rsa_cookies)] if extra else []
    args = _verify_args(key_files, "--url", URL, *cookie, "--json")
    if extra:
        args[args.index("--at") + 1] = extra[1]
    result = run(*args)
    assert result.code == 1
    assert result.err == ""
    verdict = json.loads(result.out)
    assert set(verdict) == VERDICT_KEYS
    assert (verdict["verdict"], verdict["allowed"], verdict["status"]) == ("denied", False, 403)
    assert (verdict["code"], verdict["reason"], verdict["failed_check"]) == (code, reason, check)


def test_verify_json_escapes_what_the_client_sent(
    run: Any, key_files: KeyFiles, rsa_cookies: dict[str, str]
) -> None:
    """--json output is ASCII: a hostile URL's terminal controls are JSON escapes."""
    result = run(
        *_verify_args(
            key_files, "--url", HOSTILE_URL, "--cookie", cookie_header(rsa_cookies), "--json"
        )
    )
    assert result.out.isascii()
    assert _raw_controls(result.out) == []
    assert json.loads(result.out)["url"] == HOSTILE_URL


def test_verify_json_with_har_is_refused(run: Any, key_files: KeyFiles, tmp_path: Path) -> None:
    """--json judges one request: with --har it is refused in one line."""
    har = tmp_path / "s.har"
    har.write_text(json.dumps(_har(URL, "a=b")))
    result = run(*_verify_args(key_files, "--har", str(har), "--json"))
    assert result.code == 1
    assert "--json works with --url" in result.err


# --- a HAR file that is not one ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param('{"log": 5}', "its log is a number, not an object", id="log-number"),
        pytest.param("[]", "it holds a list, not an object with a log", id="list"),
        pytest.param("not json", "it is not JSON", id="not-json"),
        pytest.param("{}", "its log is missing (or null)", id="no-log"),
        pytest.param('{"log": {}}', "log.entries is missing", id="no-entries"),
        pytest.param('{"log": {"entries": {}}}', "log.entries is an object, not a list",
                     id="entries-object"),
        pytest.param('{"log": {"entries": [{}]}}', "log.entries[0].request is missing",
                     id="entry-without-request"),
        pytest.param('{"log": {"entries": [{"request": {"url": 5}}]}}',
                     "log.entries[0].request.url is a number", id="url-number"),
        pytest.param('{"log": {"entries": [7]}}', "log.entries[0] is a number", id="entry-number"),
    ],
)  # fmt: skip
def test_verify_malformed_har_names_the_file_and_the_problem(
    run: Any, key_files: KeyFiles, tmp_path: Path, content: str, fragment: str
) -> None:
    """A HAR file that is not a HAR export is one error line naming the file and what is wrong."""
    har = tmp_path / "broken.har"
    har.write_text(content)
    result = run(*_verify_args(key_files, "--har", str(har)))
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith(f"cfcookies verify: error: {str(har)!r} is not a HAR export: ")
    assert fragment in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        pytest.param(lambda p: p / "missing.har", "no HAR file at", id="missing"),
        pytest.param(lambda p: p, "is a folder, not a HAR file", id="folder"),
    ],
)
def test_verify_unreadable_har_says_so(
    run: Any, key_files: KeyFiles, tmp_path: Path, make: Any, fragment: str
) -> None:
    """A missing HAR file, or a folder, is named in one line."""
    path = make(tmp_path)
    result = run(*_verify_args(key_files, "--har", str(path)))
    assert result.code == 1
    assert fragment in result.err
    assert repr(str(path)) in result.err


def test_verify_lowercase_key_pair_id_is_refused(run: Any, key_files: KeyFiles) -> None:
    """A lowercase --key-pair-id is refused as other malformed IDs are, naming the flag."""
    args = _verify_args(key_files, "--url", URL)
    args[args.index("--key-pair-id") + 1] = RSA_KEY_ID.lower()
    result = run(*args)
    assert result.code == 1
    assert result.err.startswith("cfcookies verify: error: --key-pair-id must be")
    assert "uppercase" in result.err
