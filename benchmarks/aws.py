"""4. Against AWS's own signers, same RSA-2048 key, same policy.

Cookie sets: ``@aws-sdk/cloudfront-signer``'s ``getSignedCookies`` (timed inside one Node process
by ``benchmarks/aws_signer.mjs``) against :meth:`cfcookies.signing.Signer.signed_cookies`.
Signed URLs (canned policy): botocore's ``CloudFrontSigner.generate_presigned_url`` (with an
already loaded key in its ``rsa_signer`` callback) and the Node ``getSignedUrl`` against
:meth:`Signer.sign_url`. cfcookies keeps a signature cache, so it is timed twice: with its
default cache (every call after the first is a hit) and with ``cache_size=0`` (every call
signs, like the AWS signers do).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cfcookies.keys import SigningKey, private_key_pem
from cfcookies.policy import Policy, prefix_resource
from cfcookies.signing import Signer

from ._apps import KEY_PAIR_ID, MEDIA_URL, key
from ._harness import Scale, Section, Timing, fmt_ns, fmt_ratio, interleaved, per_call

ROOT = Path(__file__).resolve().parent.parent
NODE_SCRIPT = Path(__file__).with_name("aws_signer.mjs")
NODE_PACKAGE = ROOT / "tests" / "node" / "node_modules" / "@aws-sdk" / "cloudfront-signer"


def node_available() -> bool:
    return shutil.which("node") is not None and NODE_PACKAGE.is_dir()


def run_node(pem: str, policy: str, url: str, expires: int, scale: Scale) -> dict[str, Any]:
    payload = {
        "pem": pem,
        "keyPairId": KEY_PAIR_ID,
        "policy": policy,
        "url": url,
        "dateLessThan": expires,
        "iterations": scale.aws_iterations,
        "rounds": scale.rounds,
    }
    done = subprocess.run(
        ["node", str(NODE_SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def per_second(timing: Timing) -> str:
    return f"{1e9 / timing.median:,.0f}/s"


def run(scale: Scale) -> Section:
    private_key = key("rsa")
    assert isinstance(private_key, rsa.RSAPrivateKey)
    signing_key = SigningKey(KEY_PAIR_ID, private_key)
    cached = Signer(signing_key)
    uncached = Signer(signing_key, cache_size=0)
    expires = int(time.time()) + 1800
    policy = Policy(prefix_resource(MEDIA_URL, "/videos/course-1"), expires).to_json()
    url = MEDIA_URL + "/videos/course-1/index.m3u8"
    pad, sha1 = padding.PKCS1v15(), hashes.SHA1()  # noqa: S303
    botocore_signer = CloudFrontSigner(
        KEY_PAIR_ID, lambda message: private_key.sign(message, pad, sha1)
    )
    expires_at = datetime.fromtimestamp(expires, timezone.utc)

    ours_url = cached.sign_url(url, date_less_than=expires)
    theirs_url = botocore_signer.generate_presigned_url(url, date_less_than=expires_at)
    if ours_url != theirs_url:
        raise RuntimeError("cfcookies and botocore signed different URLs")

    number = max(1, scale.aws_iterations)
    timings = interleaved(
        {
            "cookies: cfcookies, cached": per_call(lambda: cached.signed_cookies(policy)),
            "cookies: cfcookies, cache_size=0": per_call(lambda: uncached.signed_cookies(policy)),
            "URL: cfcookies, cached": per_call(
                lambda: cached.sign_url(url, date_less_than=expires)
            ),
            "URL: cfcookies, cache_size=0": per_call(
                lambda: uncached.sign_url(url, date_less_than=expires)
            ),
            "URL: botocore CloudFrontSigner": per_call(
                lambda: botocore_signer.generate_presigned_url(url, date_less_than=expires_at)
            ),
        },
        rounds=scale.rounds,
        number=number,
    )
    section = Section(
        4,
        "Against AWS's signers (same RSA-2048 key and policy)",
        "Per-call time and calls per second. `@aws-sdk/cloudfront-signer` is timed inside one "
        "Node process (`benchmarks/aws_signer.mjs`, many iterations per round, after a "
        "warm-up); it is given the key as PEM text, as its API requires, and parses it on "
        "every call. botocore's `CloudFrontSigner` gets an already loaded key in its "
        "`rsa_signer` callback. cfcookies *cached* answers from its signature cache after "
        "the first call (what a server sees when many sessions share a policy); "
        "*cache_size=0* signs every time, like the AWS signers. No goal is set for this "
        "comparison.",
        ("what", "signer", "per call: median (min–max)", "per second", "vs AWS's signer"),
    )
    node: dict[str, Any] | None = None
    if node_available():
        node = run_node(private_key_pem(private_key).decode(), policy.decode(), url, expires, scale)
        sample = node["sample"]["cookies"]
        ours = cached.signed_cookies(policy)
        same = all(sample.get(name) == value for name, value in ours.items())
        section.notes.append(
            "The Node signer's cookies for this policy are "
            + ("byte-identical to cfcookies'." if same else "**not** identical to cfcookies'.")
        )
    else:
        section.notes.append(
            "Node.js or tests/node/node_modules is missing (run `cd tests/node && npm ci`): "
            "the @aws-sdk/cloudfront-signer rows are absent."
        )
    groups = (
        (
            "cookie set",
            "cookies",
            "@aws-sdk getSignedCookies",
            ["cookies: cfcookies, cached", "cookies: cfcookies, cache_size=0"],
        ),
        (
            "signed URL",
            "url",
            "@aws-sdk getSignedUrl",
            ["URL: cfcookies, cached", "URL: cfcookies, cache_size=0"],
        ),
    )
    for what, node_key, node_label, names in groups:
        base: Timing | None = None
        if node is not None:
            base = Timing(node_label, tuple(float(v) for v in node[node_key]))
            section.rows.append((what, node_label, base.cell(), per_second(base), "1x"))
            section.values[f"node:{node_key}"] = base.median
        if what == "signed URL":
            boto = timings["URL: botocore CloudFrontSigner"]
            section.rows.append(
                (
                    what,
                    "botocore CloudFrontSigner",
                    boto.cell(),
                    per_second(boto),
                    f"{fmt_ratio(base.median / boto.median)} vs Node" if base else "—",
                )
            )
            section.values["botocore:url"] = boto.median
        for name in names:
            t = timings[name]
            label = "cfcookies " + name.split(": ", 1)[1].replace("cfcookies, ", "")
            rivals = [f"{fmt_ratio(base.median / t.median)} vs Node"] if base else []
            if what == "signed URL":
                boto = timings["URL: botocore CloudFrontSigner"]
                rivals.append(f"{fmt_ratio(boto.median / t.median)} vs botocore")
            section.rows.append((what, label, t.cell(), per_second(t), ", ".join(rivals) or "—"))
            section.values[name] = t.median
    section.notes.append(
        f'Ratios read "how many times the rival\'s time per call": above 1x cfcookies is '
        f"faster. One raw RSA-2048 signature here costs about "
        f"{fmt_ns(timings['cookies: cfcookies, cache_size=0'].median)} through cfcookies "
        f"uncached."
    )
    return section
