"""What the fuzz targets share: keys, a configured middleware core and genuine signed values.

Built once per process, lazily, so that importing a target costs nothing. Genuine values are
what a real browser would hold; the targets mutate them or surround them with junk, so the
fuzzer reaches the signature checks instead of stopping at the first parse error.
"""

from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from cfcookies.keys import KeyRing, PublicKey, SigningKey, generate_private_key
from cfcookies.policy import Policy, prefix_resource
from cfcookies.revocation import SessionSecrets, mint_session_cookie
from cfcookies.session import CloudFrontCookies, State
from cfcookies.signing import Signer

MEDIA = "https://media.example.test"
FOLDER = "/videos/course-1/"
KEY_PAIR_ID = "KFUZZTARGET1"
#: The CloudFront-Policy value the fuzzed session cookies are bound to.
BOUND_POLICY = "eyJTdGF0ZW1lbnQiOltdfQ__"
NOW = 1_790_000_000
END = NOW + 1800
STATE_SECRET = "fuzz-state-secret-" + "x" * 32
SESSION_SECRET = "fuzz-session-secret-" + "y" * 32


def fixed_clock() -> datetime:
    return datetime.fromtimestamp(NOW, timezone.utc)


@dataclass(frozen=True)
class Material:
    public_keys: dict[str, PublicKey]
    cookies: CloudFrontCookies
    policies: tuple[Policy, ...]
    cookie_values: dict[str, str]
    signed_urls: tuple[str, ...]
    canned_url: str
    states: dict[str, State]
    session_secrets: SessionSecrets
    session_cookies: tuple[str, ...]


@cache
def material() -> Material:
    key = generate_private_key("rsa")
    ring = KeyRing(SigningKey(KEY_PAIR_ID, key))
    signer = Signer(ring, clock=fixed_clock)
    policy = Policy(prefix_resource(MEDIA, FOLDER), END)
    cookie_values = signer.sign_policy(policy).cookies()
    canned_url = MEDIA + FOLDER + "seg-0001.ts?v=1"
    signed_urls = (
        signer.sign_url(MEDIA + FOLDER + "a.ts", policy=policy),
        signer.sign_url(canned_url, date_less_than=END),
    )
    cookies = CloudFrontCookies(
        media_url=MEDIA,
        cookie_domain="example.test",
        keys=ring,
        state_secret=STATE_SECRET,
        clock=fixed_clock,
    )
    states: dict[str, State] = {}
    for prefixes in [("/videos/course-1/",), ("/docs/a/", "/videos/course-2/")]:
        state = State(prefixes, END, KEY_PAIR_ID, "SHA1", "example.test", NOW - 60)
        header = cookies.dump_state(state)
        states[header.split(";", 1)[0].split("=", 1)[1]] = state
    secrets = SessionSecrets(SESSION_SECRET)
    session_cookies = (
        mint_session_cookie(
            session_id="s1",
            user_id="u1",
            expires=END,
            secrets=secrets,
            policy=BOUND_POLICY,
            clock=fixed_clock,
        ),
        mint_session_cookie(
            session_id="s2", expires=END, secrets=secrets, policy=BOUND_POLICY, clock=fixed_clock
        ),
    )
    return Material(
        public_keys=ring.public_keys,
        cookies=cookies,
        policies=(policy,),
        cookie_values=cookie_values,
        signed_urls=signed_urls,
        canned_url=canned_url,
        states=states,
        session_secrets=secrets,
        session_cookies=session_cookies,
    )


def wire_path(url: str) -> str:
    """The raw path CloudFront compares: before the query and the fragment."""
    rest = url.split("#", 1)[0].split("?", 1)[0]
    return "/" + rest.split("://", 1)[-1].partition("/")[2]


def plant_seeds(folder: Path, seeds: Iterable[bytes]) -> None:
    """Write ``seeds`` into a corpus folder (named by content, so planting twice is harmless)."""
    for seed in seeds:
        (folder / f"seed-{hashlib.sha1(seed).hexdigest()}").write_bytes(seed)


#: Modules whose code is instrumented: cfcookies, the targets, and what parses for them.
INSTRUMENTED = ("cfcookies", "tests.fuzz", "itsdangerous", "urllib.parse", "json.decoder")


def _instrument(instrument_func: Callable[[Any], Any]) -> None:
    """Instrument every function and method of the ``INSTRUMENTED`` modules already imported.

    ``atheris.instrument_all()`` would also walk cryptography, starlette and the whole standard
    library, which costs half a minute per process.
    """
    seen: set[int] = set()

    def visit(obj: Any, module: str) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            for part in (obj.fget, obj.fset, obj.fdel):
                if part is not None:
                    visit(part, module)
            return
        if isinstance(obj, types.FunctionType) and obj.__module__ == module:
            instrument_func(obj)
        elif isinstance(obj, type) and obj.__module__ == module:
            for member in vars(obj).values():
                visit(member, module)

    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(INSTRUMENTED):
            continue
        for value in list(vars(module).values()):
            visit(value, name)


def run(
    test_one_input: Callable[[bytes], None],
    seeds: Iterable[bytes] = (),
    argv: list[str] | None = None,
) -> None:
    """Run a target under atheris, instrumenting cfcookies for coverage guidance.

    ``argv`` is libFuzzer's: options (``-runs=N``, ``-max_total_time=S`` ...) and corpus
    folders; ``seeds`` are planted in the first corpus folder given.
    """
    import atheris

    args = list(sys.argv if argv is None else argv)
    folders = [Path(a) for a in args[1:] if not a.startswith("-") and Path(a).is_dir()]
    if folders:
        plant_seeds(folders[0], seeds)
    material()
    _instrument(atheris.instrument_func)
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


class Provider:
    """Splits fuzz input into choices and strings (works without atheris)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def choice(self, n: int) -> int:
        return self.byte() % n

    def chunk(self) -> bytes:
        """Bytes up to the next NUL (or the end): lets mutations grow one field at a time."""
        end = self.data.find(b"\x00", self.at)
        end = len(self.data) if end == -1 else end
        out = self.data[self.at : end]
        self.at = end + 1
        return out

    def text(self) -> str:
        return self.chunk().decode("utf-8", "replace")

    def rest(self) -> bytes:
        out = self.data[self.at :]
        self.at = len(self.data)
        return out
