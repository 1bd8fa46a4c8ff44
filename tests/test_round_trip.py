"""One full round trip on CPU: train → llamafactory-cli export (merge) → vLLM (.venv-vllm) → openai client;
the chat script against a merged dir, an adapter and `llamafactory-cli api`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from regllm_lf.demo.round_trip import ApiServer, ask, cpu_round_trip


@pytest.fixture(scope="module")
def trip(tmp_path_factory: pytest.TempPathFactory, vllm_installed: Path):  # noqa: ANN201
    return cpu_round_trip(tmp_path_factory.mktemp("round-trip"), steps=2)


@pytest.mark.slow
def test_train_merge_serve_answer(trip) -> None:  # noqa: ANN001
    assert (trip.adapter / "adapter_model.safetensors").is_file()
    assert (trip.merged / "model.safetensors").is_file() and (trip.merged / "chat_template.jinja").is_file()
    report = json.loads((trip.merged / "regllm_merge_report.json").read_text())
    assert report["saved_template_matched"] and report["template"] == "qwen"
    assert isinstance(trip.answer, str) and trip.answer != ""
    assert trip.server.startswith("vLLM")  # .venv-vllm is there, so the quickstart serves with vLLM
    assert json.loads((trip.adapter.parent / "answer.json").read_text())["server"] == trip.server
    generation = json.loads((trip.merged / "generation_config.json").read_text())
    end = json.loads((trip.merged / "tokenizer_config.json").read_text()).get("eos_token", "<|im_end|>")
    assert end == "<|im_end|>" and generation["eos_token_id"]


def run_chat_script(*arguments: str, timeout: int = 300) -> subprocess.CompletedProcess:
    script = str(REPO_ROOT / "scripts" / "use_banking_model.py")
    command = [
        sys.executable,
        script,
        *arguments,
        "--mode",
        "single",
        "--query",
        "¿Qué es la LGD?",
        "--max-tokens",
        "8",
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_chat_script_with_merged_dir_adapter_and_endpoint(trip) -> None:  # noqa: ANN001
    merged = run_chat_script("--model-path", str(trip.merged))
    assert merged.returncode == 0, merged.stderr[-2000:]
    adapter = run_chat_script("--model-path", str(trip.adapter), "--base", str(trip.base))
    assert adapter.returncode == 0, adapter.stderr[-2000:]
    with ApiServer(trip.merged, "qwen", trip.logs / "api2.log") as server:
        assert ask(server.base_url, "Hola", max_tokens=4) != ""
        remote = run_chat_script("--base-url", server.base_url, timeout=120)
        assert remote.returncode == 0, remote.stderr[-2000:]
