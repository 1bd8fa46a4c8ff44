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


# A question and a short answer a tiny model learns in ~20 LoRA steps: the served model must then say
# exactly this and stop on the chat end token. No system message: training uses the recipes'
# default_system (DEFAULT_SYSTEM), which `regllm-lf chat` also sends.
SHORT_QUESTION = "¿Qué mide la PD?"
SHORT_ANSWER = "La probabilidad de impago."
SHORT_DATASET = "regllm_short_answer"
# Overrides of a recipe for the short-answer run: the dataset above (also as eval set, since the recipes
# evaluate on splits this dataset_dir lacks), no packing, a constant high learning rate, and no dataloader
# worker processes (each epoch is a few steps; forking workers every epoch costs seconds).
SHORT_TRAINING = {
    "dataset": SHORT_DATASET,
    "eval_dataset": SHORT_DATASET,
    "neat_packing": "false",
    "packing": "false",
    "learning_rate": "5e-3",
    "lr_scheduler_type": "constant",
    "warmup_steps": "0",
    "per_device_train_batch_size": "8",
    "gradient_accumulation_steps": "1",
    "logging_steps": "5",
    "eval_steps": "1000",
    "save_steps": "1000",
    "dataloader_num_workers": "0",
    "preprocessing_num_workers": "1",
}
SHORT_STEPS = 20


def write_short_answer_dataset(folder: Path, copies: int = 32) -> Path:
    """A LLaMA-Factory dataset_dir holding the short-answer row ``copies`` times (registered like ours)."""
    import json

    from regllm_lf.prepare.dataset_info import sharegpt_entry

    folder.mkdir(parents=True, exist_ok=True)
    row = {"messages": [{"role": "user", "content": SHORT_QUESTION}, {"role": "assistant", "content": SHORT_ANSWER}]}
    (folder / "short.jsonl").write_text((json.dumps(row, ensure_ascii=False) + "\n") * copies, encoding="utf-8")
    info = {SHORT_DATASET: sharegpt_entry("short.jsonl")}
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return folder


def command_from_printed(line: str):  # noqa: ANN201 - ServeCommand; keeps this module import-light
    """The ServeCommand a printed shell line runs: leading VAR=value words are its environment."""
    import re
    import shlex

    from regllm_lf.serve.server import ServeCommand

    words = shlex.split(line)
    environment = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        key, value = words.pop(0).split("=", 1)
        environment[key] = value
    return ServeCommand(words, environment)


def post_json(url: str, body: dict, timeout: float = 120) -> dict:
    """POST a JSON body, return the JSON answer (raises on an HTTP error)."""
    import json
    import urllib.request

    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.load(reply)


def parity_conversations() -> dict[str, list[dict[str, str]]]:
    """The conversations whose served token ids must equal training's: each ends on a user turn."""
    system = {"role": "system", "content": "Eres un experto en riesgo de crédito."}
    first = {"role": "user", "content": "¿Qué es la LGD downturn?"}
    answer = {"role": "assistant", "content": "La LGD en una recesión [EBA/GL/2019/03, párrafo 6]."}
    second = {"role": "user", "content": "¿Y el CCF de 2023? 11.076 millones EUR, 12,3 %"}
    return {"system + user": [system, first], "user only": [first], "two turns": [system, first, answer, second]}


def assert_served_ids_equal_training(root_url: str, model: str, base: Path, template_name: str) -> None:
    """vLLM's /tokenize (chat template applied by the server) gives exactly the ids LLaMA-Factory's template
    produced in training, for the generation prompt and for the whole conversation with its answer."""
    from transformers import AutoTokenizer

    from regllm_lf.serve.merge import llamafactory_template, training_ids

    tokenizer = AutoTokenizer.from_pretrained(base)
    template = llamafactory_template(tokenizer, template_name)
    for name, messages in parity_conversations().items():
        conversation = [*messages, {"role": "assistant", "content": "Es la pérdida esperada."}]
        full, prompt = training_ids(template, tokenizer, conversation)
        served = post_json(f"{root_url}/tokenize", {"model": model, "messages": messages})["tokens"]
        assert served == prompt, f"{name}: generation prompt differs"
        served_full = post_json(
            f"{root_url}/tokenize", {"model": model, "messages": conversation, "add_generation_prompt": False}
        )["tokens"]
        assert served_full == full, f"{name}: full conversation differs"
