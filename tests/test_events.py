"""cfcookies.events: one log record per response that grants, renews or revokes, with stable
names and fields, through every adapter; and which kind of change a plan is."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from cfcookies.events import plan_event
from cfcookies.keys import PrivateKey
from cfcookies.plan import Plan
from cfcookies.revocation import LocalDenyList, SessionSecrets, generate_secret
from tests.browser_jar_support import STATE_SECRET, make_browser
from tests.support import RSA_KEY_ID, FakeClock

#: The fields every grant and renew record carries, beside ``event``.
ISSUE_FIELDS = {
    "prefixes",
    "added",
    "removed",
    "expires",
    "key_pair_id",
    "ip_bound",
    "session_id",
    "user_id",
}
REVOKE_FIELDS = {"prefixes", "removed", "logout", "denied", "session_id", "user_id"}


def plan_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.__dict__.get("event") in ("cfcookies.grant", "cfcookies.renew", "cfcookies.revoke")
    ]


def fields(record: logging.LogRecord, names: set[str]) -> dict[str, Any]:
    return {name: record.__dict__[name] for name in names}


@pytest.mark.parametrize(
    ("plan", "kind"),
    [
        pytest.param(Plan(issue=("/a/",), added=("/a/",)), "grant", id="new-folder"),
        pytest.param(Plan(issue=("/a/", "/b/"), added=("/b/",)), "grant", id="a-folder-more"),
        pytest.param(Plan(issue=("/a/",)), "renew", id="same-folders"),
        pytest.param(Plan(issue=("/a/",), delete=("/a/",)), "renew", id="same-folders-new-domain"),
        pytest.param(Plan(issue=("/a/",), delete=("/b/",)), "revoke", id="one-folder-less"),
        pytest.param(Plan(delete=("/a/",), clear_state=True), "revoke", id="logout"),
        pytest.param(
            Plan(clear_state=True, deny_sessions=(("s", "u", 9),)), "revoke", id="logout-denied"
        ),
        pytest.param(Plan(clear_state=True), None, id="unreadable-state-removed"),
    ],
)
def test_each_plan_is_one_kind_of_change(plan: Plan, kind: str | None) -> None:
    assert plan_event(plan) == kind


def test_grant_renew_and_revoke_are_logged_with_stable_fields_through_every_adapter(
    driver: str,
    declarative: bool,
    rsa_key: PrivateKey,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    browser = make_browser(driver, rsa_key, clock, declarative=declarative)
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        browser.get("/login?user=ben")
        browser.get("/page")  # nothing due: nothing logged
        clock.advance(25 * 60)
        browser.get("/page")
        browser.get("/logout")
    grant, renew, revoke = plan_records(caplog)
    folders = ("/docs/handbook/", "/videos/course-2/")

    assert (grant.levelname, grant.__dict__["event"]) == ("INFO", "cfcookies.grant")
    assert fields(grant, ISSUE_FIELDS) == {
        "prefixes": folders,
        "added": folders,
        "removed": (),
        "expires": grant.__dict__["expires"],
        "key_pair_id": RSA_KEY_ID,
        "ip_bound": False,
        "session_id": "",
        "user_id": "",
    }
    assert grant.__dict__["expires"] - clock.epoch >= 30 * 60 - 25 * 60
    assert "granted /docs/handbook/, /videos/course-2/ until" in grant.getMessage()

    assert renew.__dict__["event"] == "cfcookies.renew"
    assert set(ISSUE_FIELDS) <= set(renew.__dict__)
    assert (renew.__dict__["prefixes"], renew.__dict__["added"]) == (folders, ())
    assert renew.__dict__["expires"] > grant.__dict__["expires"]

    assert revoke.__dict__["event"] == "cfcookies.revoke"
    assert fields(revoke, REVOKE_FIELDS) == {
        "prefixes": (),
        "removed": folders,
        "logout": True,
        "denied": 0,
        "session_id": "",
        "user_id": "",
    }
    assert revoke.getMessage().startswith("cfcookies: logged out, removing /docs/handbook/")


def test_a_revoked_folder_is_logged_with_what_the_session_keeps(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    browser = make_browser(driver, rsa_key, clock)
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        browser.get("/login?user=ben")
        browser.get("/drop?p=/videos/course-2")
    _, revoke = plan_records(caplog)
    assert fields(revoke, REVOKE_FIELDS) == {
        "prefixes": ("/docs/handbook/",),
        "removed": ("/videos/course-2/",),
        "logout": False,
        "denied": 0,
        "session_id": "",
        "user_id": "",
    }


def test_with_revocation_the_records_name_the_session_and_the_deny_list_entry(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    deny_list = LocalDenyList(clock=clock)
    browser = make_browser(
        driver,
        rsa_key,
        clock,
        session_secrets=SessionSecrets(generate_secret()),
        deny_list=deny_list,
        deny_wait=0,
    )
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        browser.get("/login?user=ana")
        browser.get("/logout")
    grant, revoke = plan_records(caplog)
    session_id = grant.__dict__["session_id"]
    assert session_id
    assert revoke.__dict__["session_id"] == session_id
    assert (revoke.__dict__["logout"], revoke.__dict__["denied"]) == (True, 1)
    assert f"session {session_id}" in revoke.getMessage()


def test_records_carry_no_cookie_value_signature_or_secret(
    driver: str, rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    browser = make_browser(driver, rsa_key, clock)
    with caplog.at_level(logging.DEBUG, logger="cfcookies"):
        reply = browser.get("/login?user=ana")
        browser.get("/logout")
    values = [v.split(";")[0].split("=", 1)[1] for v in reply.set_cookie()]
    values = [v for v in values if len(v) > 20]
    assert values
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        assert STATE_SECRET not in text
        for value in values:
            assert value not in text


def test_nothing_is_formatted_when_info_is_off_but_everything_is_counted(
    rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    counted: list[str] = []
    browser = make_browser(
        "wsgi", rsa_key, clock, on_metric=lambda name, value: counted.append(name)
    )
    with caplog.at_level(logging.WARNING, logger="cfcookies"):
        browser.get("/login?user=ana")
    assert plan_records(caplog) == []
    assert "grants" in counted


def test_removing_an_unreadable_state_cookie_is_neither_logged_nor_counted(
    rsa_key: PrivateKey, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    counted: list[str] = []
    browser = make_browser(
        "wsgi", rsa_key, clock, on_metric=lambda name, value: counted.append(name)
    )
    with caplog.at_level(logging.INFO, logger="cfcookies"):
        reply = browser.send("GET", "/page", "__Host-cfcookies=not-a-state")
    assert any(v.startswith("__Host-cfcookies=;") for v in reply.set_cookie())
    assert plan_records(caplog) == []
    assert counted == []
