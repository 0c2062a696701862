"""Revocation end to end: the middleware issues the session cookie, logout writes the deny-list,
and the local edge refuses a cookie set copied before logout although its CloudFront cookies are
still valid. Then the function's association with a distribution, against moto's server on
127.0.0.1: refused where CloudFront forbids it (Lambda@Edge on a viewer event of the same
behaviour), made where it allows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.cloudfront.models import DefaultCacheBehaviour
from starlette.testclient import TestClient

from cfcookies import aws
from cfcookies.cli import revocation as cli_revocation
from cfcookies.edge import EdgeApp
from cfcookies.exceptions import ConfigurationError
from cfcookies.keys import PrivateKey
from cfcookies.revocation import (
    LocalDenyList,
    SessionCheck,
    SessionSecrets,
    check_session_cookie,
    generate_secret,
)
from cfcookies.session import CloudFrontCookies
from tests.aws_support import create_media_distribution
from tests.jar import Jar
from tests.middleware_apps import APP_ORIGIN, MEDIA_URL, starlette_app
from tests.moto_server import MotoServer, running_moto_server, use_fake_aws_environment
from tests.support import RSA_KEY_ID, FakeClock

STATE_SECRET = "revocation-flow-state-secret-" + "z" * 32


@pytest.fixture
def secrets() -> SessionSecrets:
    return SessionSecrets(generate_secret())


@pytest.fixture
def deny_list(clock: FakeClock, tmp_path: Path) -> LocalDenyList:
    return LocalDenyList(path=tmp_path / "deny.json", clock=clock)


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "videos" / "course-1").mkdir(parents=True)
    (root / "videos" / "course-1" / "seg-1.ts").write_bytes(b"\x47" * 188)
    return root


def make_cookies(
    key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, deny_list: LocalDenyList
) -> CloudFrontCookies:
    return CloudFrontCookies(
        media_url=MEDIA_URL,
        cookie_domain="example.test",
        key_pair_id=RSA_KEY_ID,
        private_key=key,
        state_secret=STATE_SECRET,
        clock=clock,
        session_secrets=secrets,
        deny_list=deny_list,
    )


class Flow:
    def __init__(self, cookies: CloudFrontCookies, edge: EdgeApp) -> None:
        self.app = TestClient(starlette_app(cookies, declarative=False), base_url=APP_ORIGIN)
        self.edge = TestClient(edge, base_url=MEDIA_URL)
        self.jar = Jar()

    def get(self, path: str) -> Any:
        self.app.cookies.clear()
        header = self.jar.header(APP_ORIGIN + path)
        response = self.app.get(path, headers={"cookie": header} if header else {})
        self.jar.store(APP_ORIGIN + path, response.headers.get_list("set-cookie"))
        return response

    def media(self, path: str, cookie_header: str | None = None) -> Any:
        self.edge.cookies.clear()
        header = cookie_header if cookie_header is not None else self.jar.header(MEDIA_URL + path)
        return self.edge.get(path, headers={"cookie": header} if header else {})


@pytest.fixture
def flow(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny_list: LocalDenyList,
    media: Path,
) -> Flow:
    cookies = make_cookies(rsa_key, clock, secrets, deny_list)
    edge = EdgeApp(
        media,
        public_keys={RSA_KEY_ID: rsa_key.public_key()},
        clock=clock,
        deny_list=SessionCheck(secrets, deny_list=deny_list, clock=clock),
    )
    return Flow(cookies, edge)


def test_login_issues_a_session_cookie_beside_the_cloudfront_cookies(
    flow: Flow, secrets: SessionSecrets, clock: FakeClock
) -> None:
    response = flow.get("/login?user=ana")
    session = [
        v for v in response.headers.get_list("set-cookie") if v.startswith("CloudFront-Session=")
    ]
    assert len(session) == 1
    assert "Path=/videos/course-1/; Domain=example.test; Secure; HttpOnly" in session[0]
    sent = flow.jar.header(MEDIA_URL + "/videos/course-1/seg-1.ts") or ""
    from cfcookies.cookies import parse_cookie_header

    token = check_session_cookie(parse_cookie_header(sent), secrets=secrets, now=clock.epoch)
    assert token.expires > clock.epoch
    assert flow.media("/videos/course-1/seg-1.ts").status_code == 200


def test_renewal_keeps_the_session_id(
    flow: Flow, secrets: SessionSecrets, clock: FakeClock
) -> None:
    from cfcookies.cookies import parse_cookie_header

    flow.get("/login?user=ana")
    url = MEDIA_URL + "/videos/course-1/seg-1.ts"
    first = check_session_cookie(
        parse_cookie_header(flow.jar.header(url)), secrets=secrets, now=clock.epoch
    )
    clock.advance(25 * 60)
    flow.get("/page")
    second = check_session_cookie(
        parse_cookie_header(flow.jar.header(url)), secrets=secrets, now=clock.epoch
    )
    assert second.session_id == first.session_id
    assert second.expires > first.expires


def test_a_cookie_set_copied_before_logout_is_refused_by_the_edge_after_logout(flow: Flow) -> None:
    flow.get("/login?user=ana")
    copied = flow.jar.header(MEDIA_URL + "/videos/course-1/seg-1.ts")
    assert flow.media("/videos/course-1/seg-1.ts", copied).status_code == 200
    flow.get("/logout")
    assert flow.jar.cloudfront() == []
    refused = flow.media("/videos/course-1/seg-1.ts", copied)
    assert refused.status_code == 403
    assert refused.headers["x-cfcookies-decision"] == "session_revoked"
    assert b"<Code>AccessDenied</Code>" in refused.content


def test_a_fresh_login_after_logout_gets_a_new_session_that_works(flow: Flow) -> None:
    flow.get("/login?user=ana")
    flow.get("/logout")
    flow.get("/login?user=ana")
    assert flow.media("/videos/course-1/seg-1.ts").status_code == 200


def test_revoking_a_user_refuses_that_users_sessions(
    rsa_key: PrivateKey,
    clock: FakeClock,
    secrets: SessionSecrets,
    deny_list: LocalDenyList,
    media: Path,
) -> None:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    import cfcookies

    cookies = make_cookies(rsa_key, clock, secrets, deny_list)
    edge = EdgeApp(
        media,
        public_keys={RSA_KEY_ID: rsa_key.public_key()},
        clock=clock,
        deny_list=SessionCheck(secrets, deny_list=deny_list, clock=clock),
    )
    flow = Flow(cookies, edge)

    def login_as(request: Request) -> PlainTextResponse:
        cfcookies.grant(request, "/videos/course-1", user_id=request.query_params["uid"])
        return PlainTextResponse("in")

    flow.app.app.router.routes.append(Route("/login-as", login_as))  # type: ignore[attr-defined]
    flow.get("/login-as?uid=user-42")
    assert flow.media("/videos/course-1/seg-1.ts").status_code == 200
    clock.advance(1)
    cookies.revoke_user("user-42")
    refused = flow.media("/videos/course-1/seg-1.ts")
    assert refused.status_code == 403
    assert refused.headers["x-cfcookies-decision"] == "session_revoked"


def test_a_request_without_the_session_cookie_is_refused_when_revocation_is_on(
    flow: Flow, rsa_key: PrivateKey, clock: FakeClock
) -> None:
    from cfcookies.keys import SigningKey
    from cfcookies.policy import prefix_resource
    from cfcookies.signing import Signer

    signer = Signer(SigningKey(RSA_KEY_ID, rsa_key), clock=clock)
    cookies = signer.cookies_for(
        prefix_resource(MEDIA_URL, "/videos/course-1"), date_less_than=clock.epoch + 600
    )
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    refused = flow.media("/videos/course-1/seg-1.ts", header)
    assert refused.status_code == 403
    assert refused.headers["x-cfcookies-decision"] == "session_missing"


def test_a_deny_list_failure_at_logout_still_logs_out(
    rsa_key: PrivateKey, clock: FakeClock, secrets: SessionSecrets, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(LocalDenyList):
        def revoke_session(self, session_id: str, *, until: Any) -> None:
            raise OSError("store unreachable")

    cookies = make_cookies(rsa_key, clock, secrets, Broken(clock=clock))
    client = TestClient(starlette_app(cookies, declarative=False), base_url=APP_ORIGIN)
    jar = Jar()
    response = client.get("/login?user=ana")
    jar.store(APP_ORIGIN + "/login", response.headers.get_list("set-cookie"))
    client.cookies.clear()
    response = client.get("/logout", headers={"cookie": jar.header(APP_ORIGIN + "/logout") or ""})
    assert response.status_code == 200
    jar.store(APP_ORIGIN + "/logout", response.headers.get_list("set-cookie"))
    assert jar.cloudfront() == []
    assert cookies.deny_writer is not None
    cookies.deny_writer.close()  # (the writer would retry until the entry lapses)
    record = next(r for r in caplog.records if r.levelname == "ERROR")
    assert "OSError: store unreachable" in record.getMessage()
    assert "retried" in record.getMessage()
    assert record.event == "cfcookies.deny_list.write_failed"  # type: ignore[attr-defined]
    assert record.session_id in record.getMessage()  # type: ignore[attr-defined]


def test_deny_list_without_session_secrets_is_a_configuration_error(
    rsa_key: PrivateKey, clock: FakeClock, deny_list: LocalDenyList
) -> None:
    from cfcookies.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="deny_list needs session_secrets"):
        CloudFrontCookies(
            media_url=MEDIA_URL,
            key_pair_id=RSA_KEY_ID,
            private_key=rsa_key,
            state_secret=STATE_SECRET,
            deny_list=deny_list,
        )


# --- Associating the function with a distribution (moto server) --------------------------------

FUNCTION_ARN = "arn:aws:cloudfront::123456789012:function/cfcookies-revocation"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:edge-auth:3"
VIDEOS = "/videos/*"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto_server() as server:
        yield server


@pytest.fixture
def cloudfront(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A CloudFront client on the moto server, which keeps a behaviour's edge functions.

    moto (running in this process) answers every behaviour with no FunctionAssociations and no
    LambdaFunctionAssociations whatever it was sent; the patch makes it store and return them,
    as CloudFront does.
    """
    use_fake_aws_environment(monkeypatch)
    moto.reset()
    init = DefaultCacheBehaviour.__init__

    def keep_edge_functions(behaviour: DefaultCacheBehaviour, config: dict[str, Any]) -> None:
        init(behaviour, config)
        behaviour.function_associations = config.get("FunctionAssociations") or {"Quantity": 0}
        behaviour.lambda_function_associations = config.get("LambdaFunctionAssociations") or {
            "Quantity": 0
        }

    monkeypatch.setattr(DefaultCacheBehaviour, "__init__", keep_edge_functions)
    return moto.client("cloudfront")


def make_distribution(cloudfront: Any, lambdas: dict[str, list[str]]) -> str:
    """A distribution with a default and a ``/videos/*`` behaviour; ``lambdas`` maps a path
    pattern (``*`` for the default) to the events its Lambda@Edge functions run on."""

    def behaviour(pattern: str) -> dict[str, Any]:
        events = lambdas.get(pattern, [])
        shape: dict[str, Any] = {
            "TargetOriginId": "media",
            "ViewerProtocolPolicy": "https-only",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "LambdaFunctionAssociations": {
                "Quantity": len(events),
                "Items": [
                    {"LambdaFunctionARN": LAMBDA_ARN, "EventType": event, "IncludeBody": False}
                    for event in events
                ],
            },
        }
        if pattern != "*":
            shape["PathPattern"] = pattern
        return shape

    return create_media_distribution(
        cloudfront,
        behaviour("*"),
        behaviour(VIDEOS),
        caller_reference="cfcookies-revocation-test",
    )


def behaviours(cloudfront: Any, distribution_id: str) -> dict[str, dict[str, Any]]:
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    found = {item["PathPattern"]: item for item in config["CacheBehaviors"]["Items"]}
    found["*"] = config["DefaultCacheBehavior"]
    return found


def record_calls(cloudfront: Any) -> list[str]:
    """The names of the operations ``cloudfront`` sends from now on."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    cloudfront.meta.events.register("before-call.cloudfront", record)
    return sent


@pytest.mark.parametrize(
    ("pattern", "events", "where", "found"),
    [
        pytest.param(
            "*",
            ["viewer-request"],
            "the default cache behaviour",
            f"{LAMBDA_ARN} on viewer-request",
            id="viewer-request-on-default",
        ),
        pytest.param(
            VIDEOS,
            ["viewer-response"],
            f"cache behaviour {VIDEOS!r}",
            f"{LAMBDA_ARN} on viewer-response",
            id="viewer-response-on-path-pattern",
        ),
        pytest.param(
            VIDEOS,
            ["origin-request", "viewer-response"],
            f"cache behaviour {VIDEOS!r}",
            f"{LAMBDA_ARN} on viewer-response",
            id="viewer-response-beside-origin-request",
        ),
    ],
)
def test_associate_refuses_a_behaviour_with_lambda_at_edge_on_a_viewer_event(
    cloudfront: Any, pattern: str, events: list[str], where: str, found: str
) -> None:
    """Lambda@Edge on viewer-request or viewer-response of the behaviour stops the association
    with a ConfigurationError naming the behaviour, the event and the fix, before any
    UpdateDistribution: CloudFront forbids a viewer-request function beside it."""
    distribution_id = make_distribution(cloudfront, {pattern: events})
    before = behaviours(cloudfront, distribution_id)
    sent = record_calls(cloudfront)
    with pytest.raises(ConfigurationError) as caught:
        aws.associate_function(
            cloudfront,
            distribution_id=distribution_id,
            function_arn=FUNCTION_ARN,
            path_pattern=None if pattern == "*" else pattern,
            replace=True,
        )
    assert str(caught.value) == (
        f"{where} runs a Lambda@Edge function ({found}); CloudFront allows no CloudFront "
        f"Function on viewer-request beside Lambda@Edge on viewer-request or viewer-response. "
        f"Nothing was changed: move that Lambda@Edge function to origin-request or "
        f"origin-response, or remove it from the behaviour, then associate again"
    )
    assert sent == ["GetDistributionConfig"]
    assert behaviours(cloudfront, distribution_id) == before


@pytest.mark.parametrize(
    ("lambdas", "pattern"),
    [
        pytest.param({"*": ["origin-request", "origin-response"]}, "*", id="origin-events"),
        pytest.param({VIDEOS: ["origin-request"]}, VIDEOS, id="origin-request-on-path"),
        pytest.param(
            {"*": ["viewer-request", "viewer-response"]}, VIDEOS, id="viewer-events-elsewhere"
        ),
    ],
)
def test_associate_runs_beside_lambda_at_edge_on_origin_events(
    cloudfront: Any, lambdas: dict[str, list[str]], pattern: str
) -> None:
    """Lambda@Edge on origin-request or origin-response of the behaviour, or on viewer events
    of another behaviour, does not stop the association, and stays as it was."""
    distribution_id = make_distribution(cloudfront, lambdas)
    before = behaviours(cloudfront, distribution_id)
    assert aws.associate_function(
        cloudfront,
        distribution_id=distribution_id,
        function_arn=FUNCTION_ARN,
        path_pattern=None if pattern == "*" else pattern,
    )
    after = behaviours(cloudfront, distribution_id)
    assert after[pattern]["FunctionAssociations"] == {
        "Quantity": 1,
        "Items": [{"FunctionARN": FUNCTION_ARN, "EventType": "viewer-request"}],
    }
    for each in after:
        assert (
            after[each]["LambdaFunctionAssociations"] == before[each]["LambdaFunctionAssociations"]
        )


def test_cli_associate_names_the_lambda_at_edge_conflict_and_changes_nothing(
    cloudfront: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``cfcookies aws function associate`` on a behaviour with a viewer-response Lambda@Edge
    function exits 2 with the reason on stderr and prints nothing on stdout."""
    from cfcookies.cli import main

    distribution_id = make_distribution(cloudfront, {VIDEOS: ["viewer-response"]})
    before = behaviours(cloudfront, distribution_id)
    monkeypatch.setattr(cli_revocation, "_botocore_client", lambda service: cloudfront)
    code = main(
        [
            "aws", "function", "associate", "--distribution-id", distribution_id,
            "--function-arn", FUNCTION_ARN, "--path-pattern", VIDEOS,
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")  # refused (2 is for usage errors)
    assert captured.err.startswith(
        f"cfcookies aws function associate: error: cache behaviour {VIDEOS!r} runs a "
        f"Lambda@Edge function "
        f"({LAMBDA_ARN} on viewer-response); "
    )
    assert "Traceback" not in captured.err
    assert behaviours(cloudfront, distribution_id) == before
