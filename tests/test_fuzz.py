"""Every fuzz target under ``tests/fuzz``, run for a bounded number of inputs.

Each target runs in its own process under atheris (coverage-guided, libFuzzer) with ``-runs``;
a target whose invariant breaks makes libFuzzer exit non-zero and write the input that did it.
Without atheris those tests skip; the seeds still go through every ``TestOneInput`` in-process.
Longer sessions: ``python -m tests.fuzz.<target> -max_total_time=300 <corpus folder>``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [
    "fuzz_cookie_header",
    "fuzz_state_cookie",
    "fuzz_verify_cookies",
    "fuzz_verify_url",
    "fuzz_policy_json",
    "fuzz_session_cookie",
    "fuzz_session_request",
]
#: Inputs per target in the default run: seconds each, enough to get past the seeds.
RUNS = int(os.environ.get("CFCOOKIES_FUZZ_RUNS", "5000"))
HAVE_ATHERIS = importlib.util.find_spec("atheris") is not None


def _target(name: str) -> ModuleType:
    return importlib.import_module(f"tests.fuzz.{name}")


def test_every_target_module_is_listed() -> None:
    """Every ``fuzz_*.py`` under tests/fuzz is run by this file (a target never run is a bug)."""
    found = sorted(p.stem for p in (ROOT / "tests" / "fuzz").glob("fuzz_*.py"))
    assert found == sorted(TARGETS)


@pytest.mark.parametrize("name", [pytest.param(t, id=t) for t in TARGETS])
def test_seeds_hold_the_invariants_without_atheris(name: str) -> None:
    """The seeds, and every prefix of each seed, pass ``TestOneInput`` in-process."""
    module = _target(name)
    seeds: tuple[bytes, ...] = module.SEEDS
    assert seeds
    for seed in seeds:
        for end in range(0, len(seed) + 1, 3):
            module.TestOneInput(seed[:end])


@pytest.mark.skipif(not HAVE_ATHERIS, reason="atheris is not installed")
@pytest.mark.parametrize("name", [pytest.param(t, id=t) for t in TARGETS])
def test_bounded_fuzz_run_finds_nothing(name: str, tmp_path: Path) -> None:
    """A bounded coverage-guided run of the target ends cleanly after ``RUNS`` inputs."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    command = [
        sys.executable,
        "-m",
        f"tests.fuzz.{name}",
        f"-runs={RUNS}",
        "-max_len=4096",
        "-timeout=20",
        "-rss_limit_mb=1024",
        f"-artifact_prefix={tmp_path}/",
        "-print_final_stats=1",
        str(corpus),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    output = result.stderr[-4000:]
    assert result.returncode == 0, output
    done = re.search(r"Done (\d+) runs", result.stderr)
    assert done is not None, output
    # The whole budget ran (libFuzzer may count an input or two beyond -runs as it stops).
    assert int(done.group(1)) >= RUNS
    assert not list(tmp_path.glob("crash-*")), output
    assert any(corpus.iterdir())
