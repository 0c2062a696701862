"""cfcookies.revocation.function: the CloudFront Function's JavaScript, run under Node and njs on
the same cases as the Python check, which must decide the same."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

import pytest

from cfcookies import revocation
from cfcookies.exceptions import ConfigurationError
from cfcookies.revocation import (
    LocalDenyList,
    SessionCookieError,
    SessionSecrets,
    check_session_request,
    function_code,
)
from tests import function_engines
from tests.function_engines import (
    ENGINES,
    engine_or_skip,
    querystring_of,
    run_engine,
    run_function,
    viewer_event,
)
from tests.revocation_support import (
    GOOD,
    NOW,
    OLD_SECRET,
    OTHER_POLICY,
    OTHER_SECRET,
    POLICY,
    SECRET,
    mint,
)


def test_function_fits_cloudfront_size_quota() -> None:
    """The generated function stays under CloudFront's 10 KB function size quota."""
    code = function_code(
        cookie_name="C" * 128,
        kvs_secret_key="k" * 200,
        kvs_previous_secret_key="p" * 200,
        key_prefix="x" * 64,
    )
    assert len(code.encode("utf-8")) < revocation.MAX_FUNCTION_SIZE


def test_the_javascript_ships_as_package_data_that_function_code_fills_in() -> None:
    """The function is ``cfcookies/revocation/function.js``, read as package data;
    function_code() only puts the JSON-quoted options in place of its four placeholders."""
    template = (
        resources.files("cfcookies.revocation").joinpath("function.js").read_text(encoding="utf-8")
    )
    expected = (
        template.replace("__COOKIE__", '"CloudFront-Session"')
        .replace("__SECRET__", f'"{revocation.DEFAULT_SECRET_KEY}"')
        .replace("__PREVIOUS__", f'"{revocation.DEFAULT_PREVIOUS_SECRET_KEY}"')
        .replace("__PREFIX__", '""')
    )
    assert expected != template
    assert function_code() == expected


@pytest.mark.parametrize(
    "forbidden",
    [
        pytest.param("eval(", id="eval"),
        pytest.param("Function(", id="function-constructor"),
        pytest.param("setTimeout", id="timers"),
        pytest.param("fetch(", id="network"),
        pytest.param("require(", id="require"),
        pytest.param("Promise.all", id="promise-combinators"),
        pytest.param(".then(", id="promise-chains"),
        pytest.param("timingSafeEqual", id="undocumented-crypto"),
    ],
)
def test_function_uses_only_documented_runtime_features(forbidden: str) -> None:
    """The function avoids what CloudFront Functions lack or warn against."""
    assert forbidden not in function_code()


def test_function_tells_a_signed_url_as_verify_does() -> None:
    """The query parameters that make the function read the query are those that make
    verify_request (and CloudFront) judge a request as a signed URL."""
    from cfcookies._reading import QUERY_SIGNING_PARAMS

    [line] = [x for x in function_code().splitlines() if x.startswith("const SIGNED_BY_QUERY")]
    listed = line.split("=", 1)[1].strip(" [];").split(", ")
    assert tuple(name.strip("'") for name in listed) == QUERY_SIGNING_PARAMS


def test_function_imports_cloudfront_and_crypto_modules() -> None:
    """The function reads the store through cf.kvs() and hashes through crypto.createHmac."""
    code = function_code()
    assert "import cf from 'cloudfront';" in code
    assert "import crypto from 'crypto';" in code
    assert "crypto.createHmac('sha256'" in code
    assert "async function handler(event)" in code


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"cookie_name": "bad name"}, id="cookie-name-space"),
        pytest.param({"cookie_name": "x';alert(1);'"}, id="cookie-name-quote"),
        pytest.param({"kvs_secret_key": ""}, id="empty-secret-key"),
        pytest.param({"kvs_secret_key": "k\n"}, id="newline-secret-key"),
        pytest.param({"kvs_previous_secret_key": revocation.DEFAULT_SECRET_KEY}, id="same-keys"),
        pytest.param({"key_prefix": "x" * 65}, id="long-prefix"),
        pytest.param({"key_prefix": "a'b"}, id="quote-prefix"),
    ],
)
def test_function_options_are_validated(kwargs: dict[str, str]) -> None:
    """Options that could break or inject into the JavaScript are refused."""
    with pytest.raises(ConfigurationError):
        function_code(**kwargs)


ACCESS_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    "<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>"
)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Node, then njs: a feature only Node has fails the njs run before it fails a deployment."""
    return str(request.param)


def _secret_store(**extra: str) -> dict[str, str]:
    return {revocation.DEFAULT_SECRET_KEY: SECRET, **extra}


@dataclass
class EdgeCase:
    cookie: str | None
    kvs: dict[str, str]
    now: int = NOW + 10
    allowed: bool = False
    extra_cookies: dict[str, str] = field(default_factory=dict)
    policy: str | None = POLICY  # the CloudFront-Policy cookie sent beside it
    failing: tuple[str, ...] = ()  # store keys whose reads fail (not absent: an error)
    query: str = "quality=hd"  # the raw query string, as the viewer sent it


#: The signature and key of a folder query (their value is CloudFront's to check, not the
#: function's), and a canned one.
SIGNED_BY = "Signature=c2ln~Zw__&Key-Pair-Id=K2JCJMDEHXQW5F"
CANNED = f"Expires={NOW + 600}&{SIGNED_BY}"


def _query(token: str | None = GOOD, *, policy: str = POLICY, extra: str = "") -> str:
    """A folder query as ``signed_query`` writes it, after the viewer's own parameter, with the
    session token (when given) and ``extra`` at the end."""
    query = f"quality=hd&Policy={policy}&{SIGNED_BY}"
    if token is not None:
        query += f"&{revocation.SESSION_COOKIE}={token}"
    return query + extra


def _escaped(value: str) -> str:
    """``value`` with ``-`` and ``_`` percent-encoded, as an over-eager URL encoder writes it."""
    return value.replace("-", "%2D").replace("_", "%5F")


#: Requests signed by query parameters: CloudFront then ignores the cookies, and so does the
#: session check, which reads the token from the query and binds it to the query's Policy.
QUERY_CASES = [
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(), policy=None, allowed=True),
        id="query-valid",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(mint(uid=None)), policy=None, allowed=True),
        id="query-valid-no-user",
    ),
    pytest.param(
        EdgeCase(
            None,
            _secret_store(),
            query=_query(_escaped(GOOD), policy=_escaped(POLICY)),
            policy=None,
            allowed=True,
        ),
        id="query-percent-encoded-values-are-decoded",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(mint(policy=OTHER_POLICY)), policy=None),
        id="query-token-minted-for-another-policy",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(policy=OTHER_POLICY), policy=None),
        id="query-token-beside-another-policy",
    ),
    pytest.param(
        EdgeCase(GOOD, _secret_store(), query=_query(None)),
        id="query-signed-token-only-in-a-cookie",
    ),
    pytest.param(
        EdgeCase(GOOD, _secret_store(), query=_query(mint(secret=OTHER_SECRET))),
        id="query-signed-forged-query-token-beside-valid-cookies",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=f"quality=hd&{revocation.SESSION_COOKIE}={GOOD}"),
        id="cookie-signed-query-token-does-not-vouch-for-the-cookies",
    ),
    pytest.param(
        EdgeCase(
            GOOD,
            _secret_store(),
            query=f"{revocation.SESSION_COOKIE}={mint(secret=OTHER_SECRET)}",
            allowed=True,
        ),
        id="cookie-signed-judged-on-the-cookie-whatever-the-query-token",
    ),
    pytest.param(
        EdgeCase(
            None,
            _secret_store(**{"revoked:sess-1": str(NOW + 3600)}),
            query=_query(),
            policy=None,
        ),
        id="query-revoked-session",
    ),
    pytest.param(
        EdgeCase(
            None,
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 5}"}),
            query=_query(),
            policy=None,
        ),
        id="query-revoked-user",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(), policy=None, now=NOW + 600),
        id="query-expired",
    ),
    pytest.param(
        EdgeCase(
            None,
            _secret_store(),
            query=_query(),
            policy=None,
            failing=("revoked:sess-1",),
        ),
        id="query-store-error-denies",
    ),
    pytest.param(
        EdgeCase(
            None, _secret_store(), query=f"{CANNED}&{revocation.SESSION_COOKIE}={GOOD}", policy=None
        ),
        id="canned-expires-query-has-no-policy-to-bind",
    ),
    pytest.param(
        EdgeCase(GOOD, _secret_store(), query=CANNED),
        id="canned-expires-query-beside-valid-cookies",
    ),
    pytest.param(
        EdgeCase(GOOD, _secret_store(), query="Key-Pair-Id=K2JCJMDEHXQW5F"),
        id="key-pair-id-alone-signs-by-query",
    ),
    pytest.param(
        EdgeCase(GOOD, _secret_store(), query="Hash-Algorithm=SHA256", allowed=True),
        id="hash-algorithm-alone-leaves-the-cookies",
    ),
    pytest.param(
        EdgeCase(
            GOOD,
            _secret_store(),
            query=f"policy={POLICY}&signature=x&{revocation.SESSION_COOKIE}=x",
            allowed=True,
        ),
        id="lowercase-signing-names-leave-the-cookies",
    ),
    pytest.param(
        EdgeCase(
            None,
            _secret_store(),
            query=_query(None, extra=f"&{revocation.SESSION_COOKIE.lower()}={GOOD}"),
            policy=None,
        ),
        id="query-token-name-is-case-sensitive",
    ),
    pytest.param(
        EdgeCase(
            None,
            _secret_store(),
            query=_query(extra=f"&{revocation.SESSION_COOKIE}={GOOD}"),
            policy=None,
        ),
        id="query-token-sent-twice",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(extra=f"&Policy={POLICY}"), policy=None),
        id="query-policy-sent-twice",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(""), policy=None),
        id="query-token-empty",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(GOOD + "%"), policy=None),
        id="query-token-bad-escape",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(GOOD[:-1] + "%C3%A9"), policy=None),
        id="query-token-escape-outside-the-alphabet",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(GOOD + "%E0%A4"), policy=None),
        id="query-token-escape-invalid-utf8",
    ),
    pytest.param(
        EdgeCase(None, _secret_store(), query=_query(policy=POLICY + "%25"), policy=None),
        id="query-policy-escaped-percent",
    ),
]


EDGE_CASES = [
    pytest.param(EdgeCase(mint(), _secret_store(), allowed=True), id="valid"),
    pytest.param(EdgeCase(mint(uid=None), _secret_store(), allowed=True), id="valid-no-user"),
    pytest.param(
        EdgeCase(
            mint(),
            _secret_store(),
            allowed=True,
            extra_cookies={"CloudFront-Signature": "x~y", "CloudFront-Key-Pair-Id": "K1"},
        ),
        id="valid-among-cloudfront-cookies",
    ),
    pytest.param(EdgeCase(None, _secret_store()), id="missing-cookie"),
    pytest.param(EdgeCase(mint(), _secret_store(), policy=None), id="no-policy-cookie"),
    pytest.param(
        EdgeCase(mint(), _secret_store(), policy=OTHER_POLICY),
        id="borrowed-beside-another-sessions-policy",
    ),
    pytest.param(
        EdgeCase(mint(policy=OTHER_POLICY), _secret_store()),
        id="own-session-cookie-beside-a-victims-policy",
    ),
    pytest.param(EdgeCase(mint(), _secret_store(), policy="a b"), id="policy-not-base64"),
    pytest.param(
        EdgeCase(mint(), _secret_store(), failing=("revoked:sess-1",)),
        id="store-error-on-session-entry-denies",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(), failing=("revoked-user:user_1",)),
        id="store-error-on-user-entry-denies",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(), failing=(revocation.DEFAULT_SECRET_KEY,)),
        id="store-error-on-secret-denies",
    ),
    pytest.param(
        EdgeCase(
            mint(at=NOW + 7200, issued_at=NOW),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 9000}.{NOW + 5}"}),
            now=NOW + 7210,
        ),
        id="renewed-cookie-keeps-its-session-start-and-meets-the-user-cut-off",
    ),
    pytest.param(EdgeCase(None, _secret_store(), extra_cookies={"other": "1"}), id="other-cookie"),
    pytest.param(EdgeCase(mint(secret=OTHER_SECRET), _secret_store()), id="forged-mac"),
    pytest.param(EdgeCase(GOOD[:-1] + "A", _secret_store()), id="tampered-mac"),
    pytest.param(EdgeCase("not-a-token", _secret_store()), id="garbage"),
    pytest.param(EdgeCase(mint(), _secret_store(), now=NOW + 600), id="expired"),
    pytest.param(EdgeCase(mint(), {}), id="store-missing-secret"),
    pytest.param(
        EdgeCase(mint(), {revocation.DEFAULT_SECRET_KEY: "short"}), id="store-secret-too-short"
    ),
    pytest.param(
        EdgeCase(
            mint(secret=OLD_SECRET),
            _secret_store(**{revocation.DEFAULT_PREVIOUS_SECRET_KEY: OLD_SECRET}),
            allowed=True,
        ),
        id="rotation-previous-secret",
    ),
    pytest.param(
        EdgeCase(mint(secret=OLD_SECRET), _secret_store()), id="rotation-finished-old-refused"
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-1": str(NOW + 3600)})),
        id="revoked-session",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-1": str(NOW + 5)}), allowed=True),
        id="stale-session-entry-ignored",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-2": str(NOW + 3600)}), allowed=True),
        id="other-session-revoked",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked:sess-1": "garbage"})),
        id="unreadable-entry-denies",
    ),
    pytest.param(
        EdgeCase(mint(), _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 5}"})),
        id="revoked-user",
    ),
    pytest.param(
        EdgeCase(
            mint(at=NOW + 6, lifetime=300),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 5}"}),
            allowed=True,
        ),
        id="user-signed-in-again-after-revocation",
    ),
    pytest.param(
        EdgeCase(
            mint(at=NOW + 6, lifetime=300),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 3600}"}),
        ),
        id="banned-user",
    ),
    pytest.param(
        EdgeCase(
            mint(uid=None),
            _secret_store(**{"revoked-user:user_1": f"{NOW + 3600}.{NOW + 3600}"}),
            allowed=True,
        ),
        id="cookie-without-user-ignores-user-entries",
    ),
    *QUERY_CASES,
]


class _FailingDenyList(LocalDenyList):
    """A deny-list whose reads of some keys fail, as a store in trouble does."""

    def __init__(self, entries: dict[str, str], failing: tuple[str, ...]) -> None:
        super().__init__()
        self._entries.update(entries)
        self.failing = failing

    def is_revoked(self, session_id: str, user_id: str | None, *, issued_at: int, now: int) -> bool:
        if any(key in self.failing for key in self._keys_for(session_id, user_id)):
            raise OSError("the store could not be read")
        return super().is_revoked(session_id, user_id, issued_at=issued_at, now=now)


def _python_decision(
    query: str,
    cookies: dict[str, str],
    kvs: dict[str, str],
    now: int,
    failing: tuple[str, ...] = (),
) -> bool:
    current = kvs.get(revocation.DEFAULT_SECRET_KEY)
    previous = kvs.get(revocation.DEFAULT_PREVIOUS_SECRET_KEY)
    if current is None or len(current) < 32 or revocation.DEFAULT_SECRET_KEY in failing:
        return False
    deny_list = _FailingDenyList(kvs, failing)
    try:
        check_session_request(
            query,
            cookies,
            secrets=SessionSecrets(current, previous=previous),
            deny_list=deny_list,
            now=now,
        )
    except SessionCookieError:
        return False
    return True


#: Edits that make the function use what Node has and cloudfront-js-2.0 lacks, with what njs says
#: when it refuses to load the result (None: it loads, throws inside the handler, and denies).
NODE_ONLY_VARIANTS = [
    pytest.param(
        "return same(crypto.createHmac('sha256', secret).update(payload)"
        ".digest('base64url'), mac);",
        "return crypto.timingSafeEqual(Buffer.from(crypto.createHmac('sha256', secret)"
        ".update(payload).digest('base64url')), Buffer.from(mac));",
        None,
        id="node-crypto-timingSafeEqual",
    ),
    pytest.param(
        "return event.request;",
        "return structuredClone(event.request);",
        None,
        id="node-global-structuredClone",
    ),
    pytest.param(
        "import crypto from 'crypto';",
        "import crypto from 'node:crypto';",
        'Cannot find module "node:crypto"',
        id="node-prefixed-module",
    ),
    pytest.param(
        "var secret = await kvs.get(SECRET_KEY, { format: 'string' });\n"
        "    if (!valid(secret, payload, p[4])) {",
        "var secret = null;\n"
        "    if (!valid(await kvs.get(SECRET_KEY, { format: 'string' }), payload, p[4])) {",
        "await in arguments not supported",
        id="await-in-call-arguments",
    ),
]


@pytest.mark.parametrize("case", EDGE_CASES)
def test_function_decides_like_python_check(case: EdgeCase, engine: str) -> None:
    """The function lets the request through unchanged or answers 403 AccessDenied XML, under
    Node and under njs, and the Python check with the same store decides the same."""
    cookies = dict(case.extra_cookies)
    if case.policy is not None:
        cookies["CloudFront-Policy"] = case.policy
    if case.cookie is not None:
        cookies[revocation.SESSION_COOKIE] = case.cookie
    event = viewer_event(cookies, case.query)
    [outcome] = run_function(function_code(), [(event, case.kvs, case.now, case.failing)], engine)
    assert "error" not in outcome, outcome
    if case.allowed:
        assert outcome["result"] == event["request"]
    else:
        assert outcome["result"] == {
            "statusCode": 403,
            "statusDescription": "Forbidden",
            "headers": {
                "content-type": {"value": "text/xml"},
                "cache-control": {"value": "no-store"},
            },
            "body": {"encoding": "text", "data": ACCESS_DENIED},
        }
    python_allowed = _python_decision(case.query, cookies, case.kvs, case.now, case.failing)
    assert python_allowed == case.allowed


def test_function_reads_nothing_for_a_request_without_cookie(engine: str) -> None:
    """A request without the session cookie is refused before any KeyValueStore read."""
    [outcome] = run_function(function_code(), [(viewer_event({}), _secret_store(), NOW)], engine)
    assert outcome["reads"] == []
    assert outcome["result"]["statusCode"] == 403


def test_function_reads_nothing_for_a_query_without_its_token(engine: str) -> None:
    """A request signed by query, without the token in its query, is refused before any read,
    even with a valid session cookie beside it."""
    cookies = {revocation.SESSION_COOKIE: GOOD, "CloudFront-Policy": POLICY}
    [outcome] = run_function(
        function_code(), [(viewer_event(cookies, _query(None)), _secret_store(), NOW)], engine
    )
    assert outcome["reads"] == []
    assert outcome["result"]["statusCode"] == 403


def test_function_reads_the_renamed_token_from_the_query(engine: str) -> None:
    """A renamed session cookie is also the name of the query parameter."""
    code = function_code(cookie_name="Edge-Session")
    outcomes = run_function(
        code,
        [
            (viewer_event({}, _query(None, extra=f"&Edge-Session={GOOD}")), _secret_store(), NOW),
            (viewer_event({}, _query(GOOD)), _secret_store(), NOW),
        ],
        engine,
    )
    assert [o["result"].get("statusCode") for o in outcomes] == [None, 403]


def test_querystring_of_builds_cloudfronts_event_fields() -> None:
    """The tests hand the function a query as CloudFront's event documents it: values as sent,
    a repeated name collapsed into ``multiValue``, a name without ``=`` with an empty value."""
    assert querystring_of("a=1&b=%7E&a=2&flag") == {
        "a": {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]},
        "b": {"value": "%7E"},
        "flag": {"value": ""},
    }


def test_function_honours_custom_names_and_prefix(engine: str) -> None:
    """A renamed cookie, renamed secret keys and a key prefix are all used by the function."""
    code = function_code(
        cookie_name="Edge-Session",
        kvs_secret_key="app1/secret",
        kvs_previous_secret_key="app1/secret-old",
        key_prefix="app1/",
    )
    kvs = {"app1/secret": SECRET, "app1/revoked:sess-2": str(NOW + 3600)}
    outcomes = run_function(
        code,
        [
            (viewer_event({"Edge-Session": mint(), "CloudFront-Policy": POLICY}), kvs, NOW),
            (viewer_event({"Edge-Session": mint("sess-2"), "CloudFront-Policy": POLICY}), kvs, NOW),
            (
                viewer_event({revocation.SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY}),
                kvs,
                NOW,
            ),
        ],
        engine,
    )
    assert [o["result"].get("statusCode") for o in outcomes] == [None, 403, 403]
    assert outcomes[0]["reads"] == [
        "app1/secret",
        "app1/revoked:sess-1",
        "app1/revoked-user:user_1",
    ]


@pytest.mark.node
@pytest.mark.parametrize(("original", "variant", "load_error"), NODE_ONLY_VARIANTS)
def test_njs_fails_a_function_only_node_can_run(
    original: str, variant: str, load_error: str | None
) -> None:
    """A function using a Node-only feature lets a valid request through under Node, and under
    njs either does not load (with njs's own message) or denies: the two engines differ."""
    code = function_code()
    assert code.count(original) == 1, "the function changed: update this variant"
    code = code.replace(original, variant)
    event = viewer_event({revocation.SESSION_COOKIE: mint(), "CloudFront-Policy": POLICY})
    cases = [{"event": event, "kvs": _secret_store(), "now": NOW + 10, "fail": []}]
    under_node = run_engine(code, cases, "node")
    assert under_node.returncode == 0, under_node.stderr
    assert json.loads(under_node.stdout)[0]["result"] == event["request"]
    under_njs = run_engine(code, cases, "njs")
    output = under_njs.stdout + under_njs.stderr
    if load_error is None:
        assert under_njs.returncode == 0, output
        assert json.loads(under_njs.stdout)[0]["result"]["statusCode"] == 403
    else:
        assert under_njs.returncode != 0
        assert load_error in output


@pytest.mark.parametrize("name", ["node", "njs"])
@pytest.mark.parametrize(
    ("require", "outcome"),
    [
        pytest.param("1", pytest.fail.Exception, id="required-fails"),
        pytest.param("", pytest.skip.Exception, id="optional-skips"),
    ],
)
def test_missing_engine_skips_or_fails(
    monkeypatch: pytest.MonkeyPatch, name: str, require: str, outcome: type[BaseException]
) -> None:
    """Without the engine its runs skip, or fail when CFCOOKIES_REQUIRE_NODE / _NJS is 1."""
    monkeypatch.setattr(function_engines, name.upper(), None)
    monkeypatch.setenv(f"CFCOOKIES_REQUIRE_{name.upper()}", require)
    with pytest.raises(outcome, match=f"{name} is not installed"):
        engine_or_skip(name)
