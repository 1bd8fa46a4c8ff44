"""Paths of this checkout for the tests (the package itself resolves them through regllm_lf.project), and the
fake OpenAI-compatible endpoint the eval tests serve on 127.0.0.1 (the `serve` fixture in conftest.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DATASETS_DIR = REPO_ROOT / "datasets"
RECIPES_DIR = REPO_ROOT / "recipes"


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
