"""``cfcookies demo`` as a process: serves, stops cleanly on a signal, says why it cannot serve.

Mirrors :mod:`cfcookies.demo.run`.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.browser_support import bind_loopback, port_is_closed, port_of
from tests.demo_support import http_client, post_form

pytestmark = pytest.mark.server


def _demo_command() -> list[str]:
    """``python -m cfcookies demo``."""
    return [sys.executable, "-m", "cfcookies", "demo"]


class DemoProcess:
    """``cfcookies demo`` in a subprocess whose output is read line by line in a thread."""

    def __init__(self, args: list[str], tmpdir: Path) -> None:
        env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [*_demo_command(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return "".join(self.output)
        raise AssertionError(f"no {text!r} in the demo's output:\n{''.join(self.output)}")

    def finish(self, timeout: float = 20.0) -> tuple[int, str]:
        code = self.process.wait(timeout)
        self.reader.join(5)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.output.append(line)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code, "".join(self.output)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cfcookies_demo_serves_then_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_with: signal.Signals
) -> None:
    demo = DemoProcess(["--app-port", "0", "--edge-port", "0"], tmp_path)
    try:
        banner = demo.wait_for("Ready.")
        app = re.search(r"App:\s+(http://localhost:\d+)/", banner)
        edge = re.search(r"Edge:\s+(http://localhost:\d+)/", banner)
        password = re.search(r"alice\s+password (\S+)", banner)
        assert app, banner
        assert edge, banner
        assert password, banner
        assert "Local-only relaxation" in banner
        assert "Revocation: on" in banner
        assert "Replay the copied cookies" in banner
        assert "session_revoked" in banner
        assert str(tmp_path) in banner  # the throwaway keys live in TMPDIR
        assert any(tmp_path.iterdir())

        with http_client() as client:
            assert client.get(app[1] + "/").status_code == 200
            assert client.get(edge[1] + "/videos/course-1/index.m3u8").status_code == 403
            login = post_form(
                client, app[1], "/login", {"username": "alice", "password": password[1]}
            )
            assert login.status_code == 303
            assert client.get(edge[1] + "/videos/course-1/index.m3u8").status_code == 200
        ports = [int(app[1].rsplit(":", 1)[1]), int(edge[1].rsplit(":", 1)[1])]

        demo.process.send_signal(stop_with)
        code, output = demo.finish()
    finally:
        demo.kill()
    assert code == 0, output
    assert "stopped; temporary keys deleted" in output
    assert "Traceback" not in output
    assert "edge  GET  /videos/course-1/index.m3u8 -> 200 allowed" in output
    assert list(tmp_path.iterdir()) == []  # keys and media removed
    assert all(port_is_closed(p) for p in ports)


def test_cfcookies_demo_says_so_when_its_port_is_taken(tmp_path: Path) -> None:
    taken = bind_loopback()
    taken.listen()
    try:
        demo = DemoProcess(["--app-port", str(port_of(taken)), "--edge-port", "0"], tmp_path)
        try:
            code, output = demo.finish()
        finally:
            demo.kill()
    finally:
        taken.close()
    assert code == 1
    assert "cannot serve" in output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_cfcookies_demo_keeps_a_given_media_dir_and_can_skip_the_hints(tmp_path: Path) -> None:
    scratch, media = tmp_path / "tmp", tmp_path / "media"
    scratch.mkdir()
    args = ["--app-port", "0", "--edge-port", "0", "--no-browser-hints", "--media-dir", str(media)]
    args.append("--no-revocation")
    demo = DemoProcess(args, scratch)
    try:
        banner = demo.wait_for("Ready.")
        demo.process.send_signal(signal.SIGINT)
        code, _ = demo.finish()
    finally:
        demo.kill()
    assert code == 0
    assert "bob" in banner
    assert f"Media: {media}" in banner
    assert "Revocation: off" in banner
    assert "Player without cookies: the browser's own HLS (--hls-js FILE serves hls.js)" in banner
    assert "Local-only relaxation" not in banner
    assert list(scratch.iterdir()) == []  # the keys are gone
    assert (media / "videos" / "course-2" / "index.m3u8").is_file()  # the media are kept


def test_cfcookies_demo_serves_the_hls_js_it_is_given_to_the_player_without_cookies(
    tmp_path: Path,
) -> None:
    scratch, script = tmp_path / "tmp", tmp_path / "hls.min.js"
    scratch.mkdir()
    script.write_bytes(b"/* a stand-in */ window.Hls = function Hls() {};\n")
    demo = DemoProcess(["--app-port", "0", "--edge-port", "0", "--hls-js", str(script)], scratch)
    try:
        banner = demo.wait_for("Ready.")
        app = re.search(r"App:\s+(http://localhost:\d+)/", banner)
        assert app, banner
        with http_client() as client:
            served = client.get(app[1] + "/hls.min.js")
        demo.process.send_signal(signal.SIGINT)
        code, _ = demo.finish()
    finally:
        demo.kill()
    assert code == 0
    assert f"Player without cookies: hls.js from {script}" in banner
    assert "'Play it without cookies'" in banner
    assert served.content == script.read_bytes()


def test_cfcookies_demo_refuses_an_hls_js_that_is_not_there_saying_what_to_give(
    tmp_path: Path,
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    missing = tmp_path / "hls.min.js"
    demo = DemoProcess(["--app-port", "0", "--edge-port", "0", "--hls-js", str(missing)], scratch)
    try:
        code, output = demo.finish()
    finally:
        demo.kill()
    assert code == 1
    assert "hls_js must be a file" in output
    assert "node_modules/hls.js/dist/hls.min.js" in output
    assert "Traceback" not in output
    assert list(scratch.iterdir()) == []
