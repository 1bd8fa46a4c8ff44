"""``regllm-lf quickstart``: the README's main job — build, validate, register, stats, then the tiny CPU
round trip (train → merge → serve → ask) when no GPU is present."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.cli.common import add_command


def _gpu_available() -> bool:
    import torch

    return torch.cuda.is_available()


def command_quickstart(arguments: argparse.Namespace) -> int:
    from regllm_lf.cli import main

    dataset_dir = arguments.dataset_dir or project.datasets_dir()
    work_dir = arguments.work_dir or project.root() / "saves" / "tiny-cpu"
    steps = [
        ["build", "--dataset-dir", str(dataset_dir)],
        ["validate"],
        ["register", "--dataset-dir", str(dataset_dir)],
        ["stats", *(["--tokenizer", "qwen"] if importlib.util.find_spec("dashscope") else [])],
    ]
    for step in steps:
        print(f"\n==> regllm-lf {' '.join(step)}", flush=True)
        code = main(step)
        if code:
            return code
    if _gpu_available() and not arguments.cpu_round_trip:
        print("\nGPU found. Next: llamafactory-cli train recipes/qwen7b_lora.yaml")
        return 0
    from regllm_lf.demo.round_trip import QUESTION, cpu_round_trip

    print(f"\n==> tiny CPU round trip in {work_dir}: train -> merge -> serve -> ask", flush=True)
    trip = cpu_round_trip(work_dir)
    print("\nArtifacts:")
    for label, path in [
        ("datasets + dataset_info.json", dataset_dir),
        ("exports (CSV/JSON)", project.data_dir() / "exports"),
        ("tiny base model", trip.base),
        ("LoRA adapter + loss plot", trip.adapter),
        ("merged model (vLLM-ready)", trip.merged),
        ("logs", trip.logs),
        ("answer", work_dir / "answer.json"),
    ]:
        print(f"  {label:30} {path}")
    print(f"\nQuestion: {QUESTION}\nAnswer of the tiny random model: {trip.answer!r}\nAnswered by: {trip.server}")
    if not trip.server.startswith("vLLM"):
        print("To serve with vLLM instead (its own environment, .venv-vllm): bash scripts/setup_vllm_env.sh")
    print("On a GPU the next line is: llamafactory-cli train recipes/qwen7b_lora.yaml")
    return 0


def register(commands: Any) -> None:
    quickstart = add_command(
        commands,
        "quickstart",
        command_quickstart,
        "The main job: build, validate, register, statistics, then the tiny CPU train → merge → serve → "
        "ask round trip (on a GPU machine: the next command to run).",
    )
    quickstart.add_argument(
        "--dataset-dir", type=Path, default=None, help="LLaMA-Factory dataset_dir (default: datasets/)"
    )
    quickstart.add_argument(
        "--work-dir", type=Path, default=None, help="where the tiny CPU round trip writes (default: saves/tiny-cpu)"
    )
    quickstart.add_argument(
        "--cpu-round-trip", action="store_true", help="run the tiny CPU round trip even when a GPU is present"
    )
