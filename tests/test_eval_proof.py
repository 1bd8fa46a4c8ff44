"""The metrics move: a tiny model fine-tuned on banking rows until it memorises them scores clearly
higher than the untrained one, through the same runner and the same `llamafactory-cli api` serving."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import RECIPES_DIR

from regllm_lf.demo.round_trip import ApiServer, train_tiny
from regllm_lf.demo.tiny_models import build_qwen2
from regllm_lf.evaluation.report import compare_runs, write_report
from regllm_lf.evaluation.runner import Runner, load_questions

SEEN = 6  # LLaMA-Factory's max_samples takes the first rows: the same ones load_questions(limit=6) returns


@pytest.mark.slow
def test_fine_tuned_tiny_model_beats_untrained_on_seen_questions(tmp_path: Path) -> None:
    base = build_qwen2(tmp_path / "base", hidden_size=128)
    memorise = {
        "dataset": "regllm_banking_qa_train",
        "max_samples": str(SEEN),
        "finetuning_type": "full",
        "learning_rate": "3e-3",
        "lr_scheduler_type": "constant",
        "warmup_steps": "0",
        "packing": "false",
        "neat_packing": "false",
        "per_device_train_batch_size": str(SEEN),
        "gradient_accumulation_steps": "1",
        "eval_steps": "100000",
        "logging_steps": "20",
        "save_steps": "100000",
    }
    tuned = train_tiny(
        base, tmp_path / "tuned", tmp_path / "train.log", str(RECIPES_DIR / "qwen7b_lora.yaml"), 120, memorise
    )
    questions = load_questions("train", ["banking_qa"], limit=SEEN)
    scores = {}
    for name, model_dir in (("untrained", base), ("fine-tuned", tuned)):
        with ApiServer(model_dir, "qwen", tmp_path / f"{name}-api.log") as server:
            answered, failed = Runner(server.base_url, "regllm", tmp_path / name, concurrency=2, max_tokens=80).run(
                questions, progress=False
            )
        assert failed == [] and answered == SEEN
        scores[name] = write_report(tmp_path / name)["numeric_accuracy"]["value"]
    assert scores["untrained"] <= 0.2 and scores["fine-tuned"] >= 0.8, scores
    assert "+" in compare_runs(tmp_path / "untrained", tmp_path / "fine-tuned")
