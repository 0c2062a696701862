"""Secrets never leak: not into logs, reprs, error messages, tracebacks or CLI output.

The secrets: the private keys (PEM body fragments, PKCS#1 and PKCS#8 DER in base64 and
base64url, the private numbers in decimal and hex), the passphrase, the state-cookie secret,
the revocation secret, and every cookie value the library issues (CloudFront signatures, the
state cookie, the revocation session cookie). Each is looked for, as a distinctive fragment,
in every text the library produces on the paths below, failures included.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

import cfcookies.cli
from cfcookies import aws
from cfcookies.asgi import CloudFrontCookieMiddleware as ASGIMiddleware
from cfcookies.diagnose import explain
from cfcookies.exceptions import CloudFrontCookieError
from cfcookies.keys import (
    KeyRing,
    PrivateKey,
    SigningKey,
    load_private_key,
    load_public_key,
    private_key_pem,
)
from cfcookies.policy import Policy
from cfcookies.revocation import (
    LocalDenyList,
    SessionCookieError,
    SessionSecrets,
    check_session_cookie,
    mint_session_cookie,
    verify_session_cookie,
)
from cfcookies.session import CloudFrontCookies, RequestInfo
from cfcookies.signing import Signer
from cfcookies.verify import verify_request
from cfcookies.wsgi import CloudFrontCookieMiddleware as WSGIMiddleware
from tests.middleware_apps import MEDIA_URL, call_wsgi, raw_wsgi_app, starlette_app
from tests.support import PASSPHRASE, RSA_KEY_ID, FakeClock, KeyFiles

#: The CloudFront-Policy value the session cookies of these tests are bound to.
BOUND_POLICY = "eyJTdGF0ZW1lbnQiOltdfQ__"
STATE_SECRET = "state-secret-never-shown-" + "Q7w" * 11
OTHER_STATE_SECRET = "other-state-secret-never-shown-" + "Z9k" * 11
SESSION_SECRET = "revocation-secret-never-shown-" + "P4x" * 11
SHORT_SECRET = "short-secret-z8Q2"


def _chunks(text: str, size: int = 20, step: int = 97) -> list[str]:
    return [text[i : i + size] for i in range(0, max(1, len(text) - size), step)]


def _private_numbers(key: PrivateKey) -> list[str]:
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        values = [n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp]
    else:
        values = [key.private_numbers().private_value]
    out: list[str] = []
    for value in values:
        out += [str(value)[:24], f"{value:x}"[:20], f"{value:X}"[:20]]
    return out


def key_needles(key: PrivateKey) -> list[str]:
    """Distinctive fragments of a private key in every spelling a leak could take."""
    pem = private_key_pem(key).decode()
    body = "".join(pem.strip().splitlines()[1:-1])
    traditional = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der_b64 = base64.b64encode(traditional).decode()
    needles = _chunks(body) + _chunks(der_b64)
    needles += _chunks(base64.urlsafe_b64encode(traditional).decode())
    needles += _private_numbers(key)
    return [n for n in needles if len(n) >= 16]


@dataclass
class Secrets:
    needles: list[str]

    def add(self, *values: str) -> None:
        self.needles += [v for v in values if len(v) >= 16]

    def add_cookies(self, set_cookie: Iterable[str]) -> None:
        """The credentials among the cookies a response sets: signatures, the state cookie.

        A policy is readable by design (base64 JSON) and a key pair ID is public.
        """
        for header in set_cookie:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if len(value) < 16 or name in ("CloudFront-Policy", "CloudFront-Key-Pair-Id"):
                continue
            self.needles.append(value)
            tail = value.rsplit(".", 1)[-1]  # the MAC of a state or session cookie
            self.needles += [c for c in _chunks(tail, 20, 37) if len(c) >= 16]

    def found_in(self, text: str) -> list[str]:
        return [n for n in self.needles if n in text]

    def assert_clean(self, *texts: object) -> None:
        for text in texts:
            leaked = self.found_in(str(text))
            assert not leaked, f"secret fragments {leaked[:3]} in {str(text)[:300]!r}"


@pytest.fixture
def secrets(rsa_key: PrivateKey, ecdsa_key: PrivateKey) -> Secrets:
    found = Secrets(key_needles(rsa_key) + key_needles(ecdsa_key))
    found.add(STATE_SECRET, OTHER_STATE_SECRET, SESSION_SECRET, PASSPHRASE, SHORT_SECRET)
    found.add(STATE_SECRET[-20:], SESSION_SECRET[-20:])
    return found


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="cfcookies")
    return caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            lines.extend(traceback.format_exception(record.exc_info[1]))
    return "\n".join(lines)


def _failure_text(call: Callable[[], object]) -> str:
    """The message, repr and whole formatted traceback of what ``call`` raises."""
    with pytest.raises(Exception) as info:  # noqa: PT011 - any error: its text is inspected
        call()
    exc = info.value
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def _cookies(key: PrivateKey, clock: FakeClock, **overrides: Any) -> CloudFrontCookies:
    options: dict[str, Any] = {
        "media_url": MEDIA_URL,
        "cookie_domain": "example.test",
        "key_pair_id": RSA_KEY_ID,
        "private_key": key,
        "state_secret": [STATE_SECRET, OTHER_STATE_SECRET],
        "clock": clock,
    }
    options.update(overrides)
    return CloudFrontCookies(**options)


# --- key loading failures ---------------------------------------------------------------------


def _pem_body(key: PrivateKey) -> list[str]:
    return private_key_pem(key).decode().strip().splitlines()[1:-1]


def _spoiled_sources(key: PrivateKey) -> list[Any]:
    """Ways a private key reaches load_private_key broken, as users break it."""
    lines = _pem_body(key)
    body = "".join(lines)
    pem = private_key_pem(key).decode()
    return [
        body,  # no BEGIN/END, one line
        "\\n".join(lines),  # env var with literal \n, no BEGIN/END
        "\\r\\n".join(lines),
        " ".join(lines),  # line breaks collapsed into spaces
        body.replace("+", "-").replace("/", "_"),  # base64url
        body[:300] + "-",
        pem.replace(lines[3], lines[3][::-1]),  # a corrupted body line
        pem.replace("PRIVATE KEY", "PRIVATE KEYS"),  # a mangled label
        pem.replace("-----BEGIN", "----BEGIN"),
        pem[: len(pem) // 2],  # truncated
        pem.encode()[: len(pem) // 2],
        base64.b64decode(body)[:-7],  # truncated DER
        "\n".join(lines),  # multi-line body without BEGIN
    ]


def test_spoiled_private_keys_are_never_echoed(secrets: Secrets, rsa_key: PrivateKey) -> None:
    """Every way of passing a broken private key fails without showing any of it."""
    for source in _spoiled_sources(rsa_key):

        def load(source: Any = source) -> object:
            return load_private_key(source)

        text = _failure_text(load)
        assert "Error" in text
        secrets.assert_clean(text)


def test_spoiled_private_keys_given_to_the_middleware_are_never_echoed(
    secrets: Secrets, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The middleware's configuration errors for a broken key show none of it either."""
    for source in _spoiled_sources(rsa_key):

        def configure(source: Any = source) -> object:
            return _cookies(source, clock)

        secrets.assert_clean(_failure_text(configure))


def test_passphrase_failures_show_neither_key_nor_passphrase(
    secrets: Secrets, key_files: KeyFiles, rsa_key: PrivateKey
) -> None:
    """Missing, wrong and superfluous passphrases fail without the key or the passphrase."""
    encrypted = key_files.encrypted_pem.read_bytes()
    for call in (
        lambda: load_private_key(encrypted),
        lambda: load_private_key(encrypted, passphrase=PASSPHRASE[::-1]),
        lambda: load_private_key(encrypted, passphrase=b"x" * 64),
        lambda: load_private_key(private_key_pem(rsa_key), passphrase=PASSPHRASE),
        lambda: load_private_key(key_files.encrypted_pem, passphrase="wrong " + PASSPHRASE),
    ):
        secrets.assert_clean(_failure_text(call))
    secrets.add(PASSPHRASE[::-1], "wrong " + PASSPHRASE)


def test_keys_of_the_wrong_kind_are_refused_without_their_material(
    secrets: Secrets,
    rsa_1024_key: rsa.RSAPrivateKey,
    p384_key: ec.EllipticCurvePrivateKey,
    ed25519_key: ed25519.Ed25519PrivateKey,
    dsa_key: dsa.DSAPrivateKey,
) -> None:
    """RSA-1024, P-384, Ed25519 and DSA keys are refused and never shown."""
    for key in (rsa_1024_key, p384_key, ed25519_key, dsa_key):
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        secrets.needles += _chunks("".join(pem.decode().strip().splitlines()[1:-1]))
        for call in (
            lambda pem=pem: load_private_key(pem),
            lambda pem=pem: load_public_key(pem),
            lambda key=key: SigningKey(RSA_KEY_ID, key),
        ):
            secrets.assert_clean(_failure_text(call))


def test_a_key_passed_where_the_key_pair_id_goes_is_not_echoed(
    secrets: Secrets, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Swapped arguments (the PEM as key_pair_id) fail without showing the PEM."""
    pem = private_key_pem(rsa_key).decode()
    body = "".join(_pem_body(rsa_key))
    for value in (pem, body, body[:63] + "/"):

        def as_signing_key(value: str = value) -> object:
            return SigningKey(value, rsa_key)

        def as_option(value: str = value) -> object:
            return _cookies(rsa_key, clock, key_pair_id=value)

        secrets.assert_clean(_failure_text(as_signing_key), _failure_text(as_option))


# --- configuration failures -------------------------------------------------------------------


def test_bad_secrets_are_refused_without_being_shown(
    secrets: Secrets, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Short or malformed state and revocation secrets are refused; the error shows neither."""
    ten_minutes = timedelta(minutes=10)
    for call in (
        lambda: _cookies(rsa_key, clock, state_secret=SHORT_SECRET),
        lambda: _cookies(rsa_key, clock, state_secret=[STATE_SECRET, SHORT_SECRET]),
        lambda: _cookies(rsa_key, clock, state_secret=[]),
        lambda: SessionSecrets(SHORT_SECRET),
        lambda: SessionSecrets(SESSION_SECRET + " with a space"),
        lambda: SessionSecrets(SESSION_SECRET, previous=SHORT_SECRET),
        lambda: mint_session_cookie(
            session_id=SESSION_SECRET + "!",
            expires=ten_minutes,
            secrets=SessionSecrets(SESSION_SECRET),
            policy=BOUND_POLICY,
        ),
    ):
        secrets.assert_clean(_failure_text(call))


def test_failed_key_refreshes_record_and_log_no_key(
    secrets: Secrets,
    logs: pytest.LogCaptureFixture,
    rsa_key: PrivateKey,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refresh that reads a spoiled key, or fails with an error whose message quotes the
    stored value, keeps that value out of the warning, ``last_error`` and the ring's repr."""
    pem = private_key_pem(rsa_key).decode()
    stored = json.dumps({"key_pair_id": RSA_KEY_ID, "private_key": pem})
    monkeypatch.setenv("CFCOOKIES_TEST_SECRET_KEY", stored)
    ring = aws.RefreshingKeyRing("env:CFCOOKIES_TEST_SECRET_KEY", refresh_interval=60, clock=clock)
    recorded: list[str | None] = []
    for source in _spoiled_sources(rsa_key)[:7]:
        spoiled = source if isinstance(source, str) else source.decode()
        monkeypatch.setenv("CFCOOKIES_TEST_SECRET_KEY", json.dumps({"private_key": spoiled}))
        assert ring.refresh() is False
        recorded.append(ring.last_error)

    def quoting_fetch(*args: Any, **kwargs: Any) -> aws.KeyMaterial:
        raise ValueError(f"cannot parse {stored}")

    monkeypatch.setattr(aws.refresh, "fetch_key_material", quoting_fetch)
    clock.advance(60)
    assert ring.active().key_pair_id == RSA_KEY_ID
    assert ring.wait_for_refresh(10)
    recorded.append(ring.last_error)
    assert len([r for r in logs.records if r.levelno == logging.WARNING]) == 8
    secrets.assert_clean(_log_text(logs), *recorded, repr(ring))


# --- reprs of every public object -------------------------------------------------------------


def test_reprs_and_strs_show_no_secret(
    secrets: Secrets, rsa_key: PrivateKey, ecdsa_key: PrivateKey, clock: FakeClock, tmp_path: Path
) -> None:
    """No public object shows key material, a secret or a cookie value in repr() or str()."""
    cookies = _cookies(rsa_key, clock)
    ring = KeyRing(SigningKey(RSA_KEY_ID, rsa_key), verification_keys={"KOLD": ecdsa_key})
    signer = Signer(ring, clock=clock)
    signed = signer.sign_policy(Policy("https://media.example.test/v/*", clock.epoch + 600))
    secrets.add(signed.signature_b64)
    info = RequestInfo("GET", "/", "app.example.test", None)
    plan = _cookies(rsa_key, clock, grants=lambda request: None).plan(
        info, desired=["/videos/course-1"]
    )
    outcome = cookies.render(plan)
    secrets.add_cookies(outcome.set_cookie)
    session_secrets = SessionSecrets(SESSION_SECRET, previous=OTHER_STATE_SECRET)
    session_cookie = mint_session_cookie(
        session_id="s1",
        user_id="u1",
        expires=timedelta(minutes=10),
        secrets=session_secrets,
        policy=BOUND_POLICY,
        clock=clock,
    )
    secrets.add(session_cookie, session_cookie.rsplit(".", 1)[1])
    header = "; ".join(v.split(";", 1)[0] for v in outcome.set_cookie)
    allowed = verify_request(
        MEDIA_URL + "/videos/course-1/a.ts", cookies=header, public_keys=ring, now=clock.epoch
    )
    denied = verify_request(
        MEDIA_URL + "/videos/course-2/a.ts", cookies=header, public_keys=ring, now=clock.epoch
    )
    assert allowed.allowed
    assert not denied.allowed
    objects: list[object] = [
        SigningKey(RSA_KEY_ID, rsa_key),
        ring,
        signer,
        cookies,
        signed,
        plan,
        outcome,
        outcome.state,
        allowed,
        denied,
        denied.error,
        *denied.checks,
        session_secrets,
        verify_session_cookie(
            session_cookie, secrets=session_secrets, policy=BOUND_POLICY, now=clock.epoch
        ),
        LocalDenyList(path=tmp_path / "deny.json"),
        ASGIMiddleware(starlette_app(None, declarative=False), cookies=cookies),
        WSGIMiddleware(raw_wsgi_app(None, declarative=False), cookies=cookies),
        rsa_key.public_key(),
    ]
    for obj in objects:
        secrets.assert_clean(repr(obj), str(obj))


# --- the middleware, forged cookies and verification ------------------------------------------


def test_a_whole_session_logs_no_secret(
    secrets: Secrets,
    logs: pytest.LogCaptureFixture,
    rsa_key: PrivateKey,
    clock: FakeClock,
) -> None:
    """Login, renewal, forged and foreign cookies, odd hosts and logout log nothing secret,
    at DEBUG, on the cfcookies and root loggers."""
    cookies = _cookies(rsa_key, clock)
    app = raw_wsgi_app(cookies, declarative=False)
    login = call_wsgi(app, "GET", "/login?user=ana", None)
    secrets.add_cookies(login.set_cookie())
    header = "; ".join(v.split(";", 1)[0] for v in login.set_cookie())
    clock.advance(25 * 60)
    renewed = call_wsgi(app, "GET", "/page", header)
    secrets.add_cookies(renewed.set_cookie())
    for cookie, host in [
        ("__Host-cfcookies=forged." + "A" * 40, "app.example.test"),
        (header.replace("__Host-cfcookies=", "__Host-cfcookies=x"), "app.example.test"),
        (header, "evil.test"),
        (header, "[::1]"),
        (header + "; " + header, "APP.EXAMPLE.TEST."),
    ]:
        reply = call_wsgi(app, "GET", "/page", cookie, host=host)
        assert reply.status < 500
    call_wsgi(app, "GET", "/logout", header)
    decision = verify_request(
        MEDIA_URL + "/videos/course-2/x.ts", cookies=header, public_keys=cookies.keys
    )
    report = explain(
        MEDIA_URL + "/videos/course-2/x.ts",
        cookie_header=header,
        public_keys=cookies.keys,
        set_cookie_headers=login.set_cookie(),
        issued_by="app.example.test",
    )
    expired = explain(
        MEDIA_URL + "/videos/course-1/x.ts",
        cookie_header=header,
        public_keys=cookies.keys,
        now=clock.epoch + 7200,
    )
    assert any(r.name == "cfcookies" for r in logs.records)  # the evil.test warning is there
    secrets.assert_clean(_log_text(logs), decision.message, *decision.checks, report, expired)


def test_signed_url_verification_never_shows_the_signature(
    secrets: Secrets, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """Reports on a signed URL hide its Signature and Policy values."""
    signer = Signer(KeyRing(SigningKey(RSA_KEY_ID, rsa_key)), clock=clock)
    url = signer.sign_url(MEDIA_URL + "/videos/a.ts", date_less_than=clock.epoch + 60)
    signature = url.split("Signature=", 1)[1].split("&", 1)[0]
    secrets.add(signature)
    for target in (url, url.replace("/videos/a.ts", "/videos/b.ts")):
        decision = verify_request(target, public_keys={RSA_KEY_ID: rsa_key.public_key()})
        report = explain(target, public_keys={RSA_KEY_ID: rsa_key.public_key()})
        secrets.assert_clean(decision.message, report, repr(decision))


def test_forged_revocation_cookies_fail_without_showing_the_value(
    secrets: Secrets, clock: FakeClock
) -> None:
    """Every refusal of a revocation session cookie says why without echoing it."""
    session_secrets = SessionSecrets(SESSION_SECRET)
    genuine = mint_session_cookie(
        session_id="s1" + "a" * 30,
        user_id="u1",
        expires=timedelta(minutes=10),
        secrets=session_secrets,
        policy=BOUND_POLICY,
        clock=clock,
    )
    mac = genuine.rsplit(".", 1)[1]
    secrets.add(genuine, mac)
    forged = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    for value in (forged, genuine + "x", genuine.replace(".u1.", ".u2."), mac):
        with pytest.raises(SessionCookieError) as info:
            check_session_cookie(
                {"CloudFront-Session": value, "CloudFront-Policy": BOUND_POLICY},
                secrets=session_secrets,
                now=clock.epoch,
            )
        secrets.assert_clean(str(info.value), "".join(traceback.format_exception(info.value)))
    with pytest.raises(SessionCookieError) as late:
        verify_session_cookie(
            genuine, secrets=session_secrets, policy=BOUND_POLICY, now=clock.epoch + 3600
        )
    secrets.assert_clean(str(late.value))


# --- the command line -------------------------------------------------------------------------


def test_cli_errors_show_no_key_passphrase_or_cookie(
    secrets: Secrets,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key_files: KeyFiles,
    rsa_key: PrivateKey,
    tmp_path: Path,
) -> None:
    """CLI failures (bad key specs, broken env PEMs, wrong passphrases, refused cookies) print
    one line and nothing secret, on stdout or stderr."""
    body = "".join(_pem_body(rsa_key))
    escaped = "\\n".join(_pem_body(rsa_key))
    broken = tmp_path / "broken.pem"
    line = _pem_body(rsa_key)[3]
    broken.write_text(private_key_pem(rsa_key).decode().replace(line, "!" * len(line)))
    monkeypatch.setenv("CFCOOKIES_TEST_BODY", body)
    monkeypatch.setenv("CFCOOKIES_TEST_ESCAPED", escaped)
    monkeypatch.setenv("CFCOOKIES_TEST_WRONG", "wrong " + PASSPHRASE)
    monkeypatch.setenv("CFCOOKIES_TEST_RIGHT", PASSPHRASE)
    secrets.add("wrong " + PASSPHRASE)
    common = ["--key-pair-id", RSA_KEY_ID, "--expires", "1800000000"]
    resource = ["--resource", MEDIA_URL + "/videos/*"]
    failing = [
        ["cookies", "--private-key", body, *common, *resource],
        ["cookies", "--private-key", escaped, *common, *resource],
        ["cookies", "--private-key", private_key_pem(rsa_key).decode(), *common, *resource],
        ["cookies", "--private-key", "env:CFCOOKIES_TEST_BODY", *common, *resource],
        ["cookies", "--private-key", "env:CFCOOKIES_TEST_ESCAPED", *common, *resource],
        ["cookies", "--private-key", str(broken), *common, *resource],
        [
            "cookies",
            "--private-key",
            str(key_files.encrypted_pem),
            "--passphrase-env",
            "CFCOOKIES_TEST_WRONG",
            *common,
            *resource,
        ],
        ["cookies", "--private-key", str(key_files.encrypted_pem), *common, *resource],
        ["sign-url", MEDIA_URL + "/a.ts", "--private-key", escaped, *common],
    ]
    for argv in failing:
        status = cfcookies.cli.main(argv)
        out = capsys.readouterr()
        assert status != 0, argv[:3]
        assert "Traceback" not in out.err
        secrets.assert_clean(out.out, out.err)
    signer = Signer(KeyRing(SigningKey(RSA_KEY_ID, rsa_key)))
    cookies = signer.cookies_for(MEDIA_URL + "/videos/*", date_less_than=1_800_000_000)
    secrets.add(*cookies.values())
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status = cfcookies.cli.main(
        [
            "verify",
            "--public-key",
            str(key_files.public_pem),
            "--key-pair-id",
            RSA_KEY_ID,
            "--url",
            MEDIA_URL + "/docs/a.pdf",
            "--cookie",
            header,
            "--at",
            "1790000000",
        ]
    )
    out = capsys.readouterr()
    assert status == 1
    secrets.assert_clean(out.out, out.err)


def test_every_library_error_raised_on_purpose_says_what_is_wrong(
    rsa_key: PrivateKey, clock: FakeClock
) -> None:
    """The errors checked above are the library's own (CloudFrontCookieError), not accidents
    such as a TypeError or a KeyError from deep inside a dependency."""
    for source in _spoiled_sources(rsa_key):
        with pytest.raises(CloudFrontCookieError):
            load_private_key(source)
