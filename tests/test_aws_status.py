"""cfcookies.aws.status: the key group, the signing key and the trusting behaviors compared
(moto's server on 127.0.0.1)."""

from __future__ import annotations

from cfcookies import aws
from cfcookies.keys import PrivateKey
from tests.aws_support import make_distribution, make_group, material, upload
from tests.moto_server import MotoServer


def test_status_matches_the_signing_key_and_lists_trusting_behaviors(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """Status marks the group key matching the private key and the behaviors trusting the
    group, and finds nothing wrong."""
    old_id, new_id = upload(server, old_rsa_key, "old"), upload(server, rsa_key, "new")
    group_id = make_group(server, [old_id, new_id])
    distribution_id = make_distribution(server, [group_id], ["OTHERGROUP"])
    status = aws.key_status(
        server.client("cloudfront"),
        group_id,
        signing=material(rsa_key, new_id, changed_at=None),
        distribution_id=distribution_id,
    )
    assert status.signing_key_ids == (new_id,)
    assert [(b.path_pattern, b.key_group_ids) for b in status.behaviors] == [
        ("/videos/*", ("OTHERGROUP",)),
        ("*", (group_id,)),
    ]
    assert status.problems == ()


def test_status_flags_a_signing_key_the_group_does_not_hold(
    server: MotoServer, rsa_key: PrivateKey, old_rsa_key: PrivateKey
) -> None:
    """A private key with no public key in the group, or a stored ID that is not its own,
    is reported as a problem."""
    old_id = upload(server, old_rsa_key, "old")
    group_id = make_group(server, [old_id])
    status = aws.key_status(
        server.client("cloudfront"), group_id, signing=material(rsa_key, old_id, changed_at=None)
    )
    assert len(status.problems) == 2
    assert "reject every cookie" in status.problems[0]
