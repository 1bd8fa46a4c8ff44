"""Shared test helpers: paths of this checkout (the package itself resolves them through regllm_lf.project),
LLaMA-Board started in a copy of the project for a real browser, and the fake OpenAI-compatible endpoint the
eval tests serve on 127.0.0.1 (the `serve` fixture in conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DATASETS_DIR = REPO_ROOT / "datasets"
RECIPES_DIR = REPO_ROOT / "recipes"


# LLaMA-Board in a real browser: Debian's chromium, driven headless by Playwright.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Debian's chromium; the test set-up installs it with apt-get when it is missing."""
    found = shutil.which("chromium")
    if found is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True)
        found = shutil.which("chromium")
    assert found, "chromium could not be installed"
    return found


def project_copy(destination: Path) -> Path:
    """A copy of the project's inputs (data/, datasets/, recipes/), so that a command run there
    (LLaMA-Board writes llamaboard_config/, llamaboard_cache/ and saves/ where it starts) leaves the
    checkout untouched."""
    for folder in ("data", "datasets", "recipes"):
        shutil.copytree(REPO_ROOT / folder, destination / folder)
    return destination


@contextmanager
def running_board(workspace: Path, log: Path, timeout: float = 240) -> Iterator[tuple[str, subprocess.Popen]]:
    """``regllm-lf board`` started in ``workspace`` on a free port; yields its URL and process."""
    from regllm_lf.core.environment import offline_environment
    from regllm_lf.demo.round_trip import free_port

    port = free_port()
    environment = {
        **offline_environment(),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "BROWSER": "true",  # LLaMA-Board asks to open a browser: `true` opens nothing
    }
    environment.pop("GRADIO_SERVER_NAME", None)  # the command's own default (127.0.0.1) is under test
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "regllm_lf", "--root", str(workspace), "board"],
            cwd=workspace,
            env=environment,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    try:
        while True:
            assert process.poll() is None, f"regllm-lf board exited: {log.read_text(encoding='utf-8')[-3000:]}"
            assert time.monotonic() < deadline, f"LLaMA-Board did not start; see {log}"
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class FakeEndpoint:
    """Answers with the gold answer (or a fixed text); fails the first tries of some questions."""

    def __init__(
        self,
        answers: dict[str, str],
        flaky: dict[str, list[int]] | None = None,
        fixed: str | None = None,
        delay: float = 0.0,
    ) -> None:
        self.answers, self.flaky, self.fixed, self.delay = answers, flaky or {}, fixed, delay
        self.calls: dict[str, int] = {}
        self.in_flight = self.peak = 0
        self.lock = threading.Lock()

    def handle(self, body: dict) -> tuple[int, dict]:
        question = body["messages"][-1]["content"]
        with self.lock:
            self.calls[question] = self.calls.get(question, 0) + 1
            attempt = self.calls[question]
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.delay)
            statuses = self.flaky.get(question, [])
            if attempt <= len(statuses):
                return statuses[attempt - 1], {"error": {"message": "try again"}}
            content = self.fixed if self.fixed is not None else self.answers[question]
            return 200, {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
                ],
            }
        finally:
            with self.lock:
                self.in_flight -= 1
