"""Base + unmerged LoRA adapter served by a real vLLM with exactly the command `regllm-lf serve --model-path
<adapter>` prints: the adapter is applied (it says the short answer, the base does not) and the server
tokenizes with the training template."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ShortAnswerModel
from helpers import (
    REPO_ROOT,
    SHORT_ANSWER,
    SHORT_QUESTION,
    assert_served_ids_equal_training,
    command_from_printed,
    post_json,
)

from regllm_lf.cli import main
from regllm_lf.serve.local import free_port
from regllm_lf.serve.server import SERVED_MODEL_NAME, ServeCommand
from regllm_lf.serve.vllm_env import VllmServer


@pytest.fixture(scope="module")
def adapter_server(
    vllm_installed: Path, short_answer_model
) -> Iterator[tuple[ShortAnswerModel, VllmServer, ServeCommand]]:
    model = short_answer_model("qwen2.5-7b")
    port = free_port()
    options = ["--model-path", str(model.adapter), "--host", "127.0.0.1", "--port", str(port), "--print"]
    serve = [sys.executable, "-m", "regllm_lf", "serve", *options]
    printed = subprocess.run(serve, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    command = command_from_printed(printed)
    with VllmServer(command, port, model.folder / "vllm-adapter.log") as server:
        print(f"base + adapter: vLLM ready in {server.started_in:.1f} s")
        yield model, server, command


@pytest.mark.slow
def test_printed_command_serves_the_base_with_the_adapter(adapter_server, vllm_installed: Path) -> None:  # noqa: ANN001
    model, _, command = adapter_server
    argv = command.argv
    assert argv[:3] == [str(vllm_installed), "serve", str(model.base)]
    assert argv[argv.index("--lora-modules") + 1] == f"{SERVED_MODEL_NAME}={model.adapter}"


@pytest.mark.slow
def test_tokenize_through_the_adapter_gives_the_training_ids(adapter_server) -> None:  # noqa: ANN001
    model, server, _ = adapter_server
    assert_served_ids_equal_training(server.root_url, SERVED_MODEL_NAME, model.base, model.template)


@pytest.mark.slow
def test_the_adapter_answers_and_the_base_does_not(adapter_server, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    model, server, _ = adapter_server
    answers = {}
    for name in (SERVED_MODEL_NAME, str(model.base)):
        body = {"model": name, "messages": [{"role": "user", "content": SHORT_QUESTION}], "max_tokens": 16}
        answers[name] = post_json(f"{server.base_url}/chat/completions", {**body, "temperature": 0})["choices"][0]
    assert answers[SERVED_MODEL_NAME]["message"]["content"] == SHORT_ANSWER
    assert answers[SERVED_MODEL_NAME]["finish_reason"] == "stop"
    assert answers[str(model.base)]["message"]["content"] != SHORT_ANSWER
    assert main(["chat", "--base-url", server.base_url, "--query", SHORT_QUESTION, "--max-tokens", "32"]) == 0
    assert capsys.readouterr().out.strip() == SHORT_ANSWER
