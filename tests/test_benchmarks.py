"""The benchmark harness runs with tiny counts and produces sane numbers and a report.

These are smoke tests of ``benchmarks/``: they check that every measurement runs, that the
numbers are positive and finite and that the table renders, never how fast anything is.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks import asgi_login, aws, growth, login, servers, soak, steady, streaming
from benchmarks._harness import Check, Scale, Section, Timing, interleaved, percentile
from benchmarks.report import render
from benchmarks.run import MISSES, main

TINY = Scale(
    rounds=2,
    number=10,
    sign_number=3,
    seconds=0.3,
    aws_iterations=3,
    cache_entries=16,
    concurrency=2,
)


def sane(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_interleaved_rounds_give_one_figure_per_round_per_candidate() -> None:
    calls: list[str] = []

    def candidate(name: str) -> object:
        def run(number: int) -> float:
            calls.append(name)
            return float(number)

        return run

    timings = interleaved({"a": candidate("a"), "b": candidate("b")}, rounds=3, number=7)  # type: ignore[dict-item]
    assert timings["a"].per_call_ns == (7.0, 7.0, 7.0)
    assert calls[2:] == ["a", "b"] * 3  # after one warm-up call each, the rounds alternate


def test_timing_and_percentile_summaries() -> None:
    timing = Timing("t", (3.0, 1.0, 2.0))
    assert (timing.median, timing.low, timing.high) == (2.0, 1.0, 3.0)
    assert percentile([float(v) for v in range(1, 101)], 0.99) == 99.0
    assert percentile([5.0], 0.5) == 5.0


def test_steady_state_measures_every_candidate_and_checks_the_goal() -> None:
    section = steady.run(TINY)
    assert len(section.rows) == 8
    assert len(section.checks) == 4
    assert all(sane(v) for k, v in section.values.items() if not k.endswith(":ratio"))


def test_login_measures_misses_hits_and_the_raw_floor() -> None:
    section = login.run(TINY)
    assert [row[0] for row in section.rows] == ["RSA-2048", "ECDSA P-256"]
    assert all(sane(v) for v in section.values.values())
    assert len(section.checks) == 4


def test_asgi_login_measures_hit_miss_hop_and_the_raw_floor_through_the_middleware() -> None:
    section = asgi_login.run(TINY)
    assert [row[0] for row in section.rows] == ["RSA-2048", "ECDSA P-256"]
    # (an ECDSA miss signs on the loop, without the hop: its excess may be below zero)
    assert all(math.isfinite(v) for v in section.values.values())
    assert [check.figure.split(",")[0] for check in section.checks] == [
        "2b. login with a new policy through ASGI"
    ] * 2


def test_a_login_in_the_benchmark_really_issues_cookies() -> None:
    from benchmarks._apps import cloudfront_cookies

    headers = login.login(cloudfront_cookies(), login.fresh_prefixes(2))
    assert sum(h.startswith("CloudFront-Signature=") for h in headers) == 2


@pytest.mark.node
def test_against_aws_signers() -> None:
    section = aws.run(TINY)
    assert any(row[1] == "botocore CloudFrontSigner" for row in section.rows)
    assert all(sane(v) for v in section.values.values())
    if aws.node_available():
        assert any(row[1].startswith("@aws-sdk") for row in section.rows)
        assert "byte-identical" in section.notes[0]


def test_growth_and_cache_memory() -> None:
    section = growth.run(TINY)
    assert [row[0] for row in section.rows] == ["1", "5", "20"]
    assert section.values["cache:entries"] == TINY.cache_entries
    assert 100 < section.values["cache:per_entry"] < 10_000


@pytest.mark.server
def test_players_without_cookies_measure_the_query_the_rewriters_and_the_route() -> None:
    section = streaming.run(TINY)
    assert section.number == 9
    assert len(section.rows) == 11
    assert all(sane(value) for value in section.values.values())
    assert section.notes


def test_the_streaming_benchmark_rewrites_what_it_times() -> None:
    """The timed playlists are real: m3u8 reads them, every segment gets the query."""
    import m3u8

    from benchmarks._apps import MEDIA_URL, cloudfront_cookies, key
    from cfcookies.streaming.hls import rewrite_playlist

    cookies = cloudfront_cookies(key("rsa"))
    query = cookies.signed_query(streaming.FOLDER)
    text = rewrite_playlist(
        streaming.media_playlist(),
        playlist_url=MEDIA_URL + streaming.MEDIA_PLAYLIST,
        query=query,
        folder_url=streaming.FOLDER_URL,
    )
    parsed = m3u8.loads(text)
    assert len(parsed.segments) == streaming.SEGMENTS
    assert all(segment.uri.endswith("?" + query) for segment in parsed.segments)
    assert len(m3u8.loads(streaming.master_playlist()).playlists) == 5
    server, token = streaming.serving(cookies)
    assert server.answer(token, streaming.MEDIA_PLAYLIST).status == 200


def test_login_storm_on_a_real_server() -> None:
    section = servers.run_storm(TINY)
    assert len(section.rows) == 2
    assert section.values["cf:logins"] > 0
    assert section.values["cf:samples"] > 0
    assert sane(section.values["cf:p99_ratio"])


@pytest.mark.server
def test_throughput_of_a_real_server() -> None:
    section = servers.run_throughput(TINY)
    assert sane(section.values["bare:rps"])
    assert sane(section.values["cf:rps"])


@pytest.mark.server
def test_a_short_soak_answers_every_request_and_reports_its_figures() -> None:
    section = soak.run(TINY, seconds=6)
    values = section.values
    assert values["requests"] > 50
    assert (values["errors"], values["timeouts"]) == (0, 0)
    assert values["outage_logouts"] >= 1  # logouts answered while the deny-list store was down
    assert (values["outbox_left"], values["denied_missing"]) == (0, 0)
    assert all(sane(values[k]) for k in ("rss_start_mb", "rss_end_mb", "p50_ms", "p99_ms"))
    assert [row[0] for row in section.rows] == [
        "warm-up",
        "before the outage",
        "deny-list store down",
        "after the outage",
        "whole soak",
    ]
    errors, plateau, outbox = section.checks
    assert errors.met
    assert outbox.met
    assert "MiB/min" in plateau.measured
    text = render([section], command="python -m benchmarks.run", quick=True, misses=MISSES)
    assert "## 8. Soak" in text
    assert "`python -m benchmarks.soak --seconds 6`" in text


def test_the_soak_store_goes_down_and_comes_back_with_its_entries(tmp_path: Path) -> None:
    from cfcookies.exceptions import ConfigurationError
    from cfcookies.revocation import LocalDenyList

    deny_list = LocalDenyList(path=tmp_path / soak.DENY_FILE)
    deny_list.revoke_session("before", until=2_000_000_000)
    store = soak.Store(tmp_path)
    store.down()
    with pytest.raises(ConfigurationError):
        deny_list.revoke_session("during", until=2_000_000_000)
    store.up()
    deny_list.revoke_session("after", until=2_000_000_000)
    assert set(deny_list.entries()) == {"revoked:before", "revoked:after"}


def test_the_plateau_is_a_least_squares_slope_per_minute() -> None:
    assert soak.slope_per_minute([(0.0, 10.0), (60.0, 12.0), (120.0, 11.0)]) == pytest.approx(0.5)
    assert soak.slope_per_minute([(5.0, 10.0)]) == 0.0


def test_the_command_line_runs_the_soak_for_the_seconds_asked_or_skips_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[float] = []

    def fake_soak(scale: Scale, seconds: float = soak.SECONDS) -> Section:
        asked.append(seconds)
        return Section(8, "Soak", "How.", ("a",), rows=[("x",)])

    monkeypatch.setattr(soak, "run", fake_soak)
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--only", "soak", "--soak-seconds", "30", "--output", str(output)]) == 0
    assert "python -m benchmarks.run --only soak --soak-seconds 30" in output.read_text("utf-8")
    assert main(["--quick", "--only", "soak", "--output", str(output)]) == 0
    assert asked == [30.0, soak.QUICK_SECONDS]
    with pytest.raises(SystemExit):
        main(["--only", "soak", "--skip-soak"])  # nothing left to run
    with pytest.raises(SystemExit):
        main(["--only", "soak", "--soak-seconds", "1"])
    assert asked == [30.0, soak.QUICK_SECONDS]


def test_the_report_renders_goals_machine_and_sections() -> None:
    section = Section(1, "Title", "How.", ("a", "b"), rows=[("x", "y|z")])
    section.checks.append(Check("6. server throughput x", "90%", "≥ 95%", False))
    text = render([section], command="python -m benchmarks.run", quick=False, misses=MISSES)
    assert "## Goals" in text
    assert "| 6. server throughput x | ≥ 95% | 90% | **missed** |" in text
    assert "y\\|z" in text
    assert "nproc" in text
    assert MISSES["6. server throughput"] in text


def test_the_command_line_writes_the_report(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    assert main(["--quick", "--only", "steady", "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    assert "python -m benchmarks.run --quick --only steady" in text
    assert "## 1. Steady-state overhead" in text
    assert "## Profiling and fixes" in text


def test_the_command_line_refuses_an_unknown_benchmark() -> None:
    with pytest.raises(SystemExit):
        main(["--only", "nope"])
