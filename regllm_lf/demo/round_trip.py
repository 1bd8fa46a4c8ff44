"""The tiny CPU round trip: train → merge → serve → one question answered.

It uses the real default recipe (``recipes/qwen7b_lora.yaml``) and merge recipe with only the model
path, precision, step count and output paths overridden, on a tiny random Qwen2 built offline. The
merged model is served by vLLM when ``.venv-vllm`` is there (``scripts/setup_vllm_env.sh``), else by
``llamafactory-cli api``; the result says which answered.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from regllm_lf import project
from regllm_lf.core.environment import offline_environment
from regllm_lf.serve.local import LocalServer, free_port, http_status
from regllm_lf.serve.server import SERVED_MODEL_NAME, llamafactory_api_command, vllm_command
from regllm_lf.serve.vllm_env import VllmServer, vllm_executable
from regllm_lf.train.launch import llamafactory_argv, llamafactory_cli
from regllm_lf.train.models import model_named

QUESTION = "¿Cuál fue el beneficio neto atribuido de CaixaBank en 2023?"


def run_logged(argv: list[str], log: Path, environment: dict[str, str]) -> None:
    with log.open("w", encoding="utf-8") as stream:
        result = subprocess.run(argv, cwd=project.root(), env=environment, stdout=stream, stderr=subprocess.STDOUT)
    if result.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(argv[:3])} failed (exit {result.returncode}); log {log}:\n{tail}")


def train_tiny(base: Path, out: Path, log: Path, recipe: str, steps: int, extra: dict[str, str] | None = None) -> Path:
    overrides = {"model_name_or_path": str(base), "bf16": "false", "max_steps": str(steps), "output_dir": str(out)}
    overrides |= extra or {}
    argv = llamafactory_argv("train", recipe, overrides, executable=True)
    run_logged(argv, log, offline_environment())
    return out


def merge_tiny(base: Path, adapter: Path, out: Path, log: Path, model_key: str = "qwen2.5-7b") -> Path:
    from regllm_lf.serve.merge import finalize_merged_dir

    spec = model_named(model_key)
    overrides = {"model_name_or_path": str(base), "adapter_name_or_path": str(adapter), "export_dir": str(out)}
    argv = llamafactory_argv("export", spec.merge_recipe(), overrides, executable=True)
    run_logged(argv, log, offline_environment())
    finalize_merged_dir(out, spec.template)
    return out


class ApiServer(LocalServer):
    """``llamafactory-cli api`` on a free local port, stopped on exit."""

    name = "API server"

    def __init__(self, model_dir: Path, template: str, log: Path, timeout: float = 300) -> None:
        port = free_port()
        command = llamafactory_api_command(str(model_dir), template, port=port)
        command.argv[0] = llamafactory_cli()
        super().__init__(command.argv, {**offline_environment(), **command.child_environment()}, port, log, timeout)

    def ready(self) -> bool:
        return http_status(f"{self.base_url}/models") == 200


def merged_model_server(model_dir: Path, template: str, log: Path) -> tuple[LocalServer, str]:
    """vLLM from .venv-vllm when it is there, else ``llamafactory-cli api``; and which one it is."""
    executable = vllm_executable()
    if executable is None:
        return ApiServer(model_dir, template, log), "llamafactory-cli api (Hugging Face backend)"
    port = free_port()
    command = vllm_command(str(model_dir), port=port, host="127.0.0.1")
    return VllmServer(command, port, log), f"vLLM ({executable})"


def ask(base_url: str, question: str, max_tokens: int = 24) -> str:
    from regllm_lf.evaluation.client import openai_client
    from regllm_lf.train.models import DEFAULT_SYSTEM

    client = openai_client(base_url)
    reply = client.chat.completions.create(
        model=SERVED_MODEL_NAME,
        messages=[{"role": "system", "content": DEFAULT_SYSTEM}, {"role": "user", "content": question}],
        max_tokens=max_tokens,
        temperature=0,
    )
    return reply.choices[0].message.content or ""


@dataclass
class RoundTrip:
    base: Path
    adapter: Path
    merged: Path
    answer: str
    logs: Path
    server: str  # which server answered


def cpu_round_trip(work_dir: Path, steps: int = 3, question: str = QUESTION) -> RoundTrip:
    from regllm_lf.demo.tiny_models import build_qwen2

    spec = model_named("qwen2.5-7b")
    logs = work_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"[1/4] tiny Qwen2 + tokenizer trained on our data -> {work_dir / 'base'}", flush=True)
    base = build_qwen2(work_dir / "base")
    print(f"[2/4] llamafactory-cli train {project.relative_to_root(spec.recipe())} ({steps} steps, CPU)", flush=True)
    adapter = train_tiny(base, work_dir / "lora", logs / "train.log", spec.recipe(), steps)
    print(f"[3/4] llamafactory-cli export {project.relative_to_root(spec.merge_recipe())} + template fixes", flush=True)
    merged = merge_tiny(base, adapter, work_dir / "merged", logs / "export.log")
    server, server_name = merged_model_server(merged, spec.template, logs / "serve.log")
    print(f"[4/4] {server_name} + one question through the openai client", flush=True)
    with server:
        answer = ask(server.base_url, question)
    record = {"question": question, "answer": answer, "server": server_name}
    (work_dir / "answer.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return RoundTrip(base, adapter, merged, answer, logs, server_name)
