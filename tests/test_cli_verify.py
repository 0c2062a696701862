"""``cfcookies verify`` (cfcookies/cli/verify.py): decisions, HAR, no raw control characters."""

from __future__ import annotations

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
