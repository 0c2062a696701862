"""Fuzz target: policy JSON (``parse_policy``) and matching its resource.

Invariants: raises only ``MalformedPolicyError``; a parsed policy has integer times and
serialises to JSON that parses back to the same policy; matching its resource against a URL
raises nothing but ``ValueError``.
"""

from __future__ import annotations

import contextlib

from cfcookies.exceptions import MalformedPolicyError
from cfcookies.policy import parse_policy, resource_matches
from tests.fuzz._support import MEDIA

SEEDS = (
    b'{"Statement":[{"Resource":"https://media.example.test/videos/course-1/*",'
    b'"Condition":{"DateLessThan":{"AWS:EpochTime":1790001800}}}]}',
    b'{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},'
    b'"DateGreaterThan":{"AWS:EpochTime":0},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}',
    b'{"Statement": [{"Resource": "*", "Condition": {"DateLessThan": {"AWS:EpochTime": 2}}}]}',
    b'{"Statement":[{"Resource":"\\u002a","Condition":{"DateLessThan":{"AWS:EpochTime":1e3}}}]}',
)


def TestOneInput(data: bytes) -> None:
    try:
        policy = parse_policy(data)
    except MalformedPolicyError:
        return
    assert isinstance(policy.date_less_than, int)
    assert parse_policy(policy.to_json()) == policy
    with contextlib.suppress(ValueError):
        resource_matches(policy.resource, MEDIA + "/videos/course-1/a.ts")


def main() -> None:
    from tests.fuzz._support import run

    run(TestOneInput, SEEDS)


if __name__ == "__main__":
    main()
