"""A real `vllm serve` (.venv-vllm) of our tiny merged models, one per template family we ship:
train → `regllm-lf merge` → serve with the command `regllm-lf serve` builds → the server tokenizes exactly
like training, answers the short answer the model learned and stops on the chat end token; `regllm-lf eval`
and `regllm-lf chat` work against it. One server at a time, on 127.0.0.1, stopped after its family."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ShortAnswerModel
from helpers import SHORT_ANSWER, SHORT_QUESTION, assert_served_ids_equal_training, post_json

from regllm_lf.cli import main
from regllm_lf.serve.local import free_port
from regllm_lf.serve.server import SERVED_MODEL_NAME, vllm_command
from regllm_lf.serve.vllm_env import VllmServer

# Template family -> the catalogue model whose recipe trains it.
FAMILIES = {"qwen": "qwen2.5-7b", "phi": "phi-3-mini", "gemma": "gemma-2b", "zephyr": "stablelm-3b", "default": "phi-2"}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def served(
    request: pytest.FixtureRequest, vllm_installed: Path, short_answer_model
) -> Iterator[tuple[ShortAnswerModel, VllmServer]]:
    model = short_answer_model(FAMILIES[request.param])
    assert model.template == request.param
    port = free_port()
    command = vllm_command(str(model.merged), port=port, host="127.0.0.1")
    with VllmServer(command, port, model.folder / "vllm.log") as server:
        print(f"{request.param}: vLLM ready in {server.started_in:.1f} s")
        yield model, server


@pytest.mark.slow
def test_tokenize_gives_the_training_ids(served: tuple[ShortAnswerModel, VllmServer]) -> None:
    model, server = served
    assert_served_ids_equal_training(server.root_url, SERVED_MODEL_NAME, model.base, model.template)


@pytest.mark.slow
def test_answers_and_stops_on_the_chat_end_token(served: tuple[ShortAnswerModel, VllmServer]) -> None:
    model, server = served
    body = {
        "model": SERVED_MODEL_NAME,
        "messages": [{"role": "user", "content": SHORT_QUESTION}],
        "max_tokens": 32,
        "temperature": 0,
        "return_token_ids": True,
    }
    choice = post_json(f"{server.base_url}/chat/completions", body)["choices"][0]
    assert choice["message"]["content"] == SHORT_ANSWER
    assert choice["finish_reason"] == "stop"
    stop_ids = json.loads((model.merged / "regllm_merge_report.json").read_text())["stop_token_ids"]
    assert choice["token_ids"][-1] in stop_ids  # stopped on the template's end token, not on a length or string


@pytest.mark.slow
def test_regllm_chat_and_eval_against_the_server(
    served: tuple[ShortAnswerModel, VllmServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, server = served
    assert main(["chat", "--base-url", server.base_url, "--query", SHORT_QUESTION, "--max-tokens", "32"]) == 0
    assert capsys.readouterr().out.strip() == SHORT_ANSWER  # chat sends our default system, as training did
    out = tmp_path / "eval"
    arguments = ["--model", SERVED_MODEL_NAME, "--out", str(out), "--limit", "1", "--max-tokens", "8"]
    assert main(["eval", "--base-url", server.base_url, *arguments, "--no-progress"]) == 0
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(results) == 3 and {result["finish_reason"] for result in results} <= {"stop", "length"}
    assert (out / "report.md").is_file()
