"""Every LoRA recipe trains 2 steps on CPU with a tiny random model of its own architecture.

Only the model path, the precision and the step count are overridden (and the output goes to a
temporary folder); the template, datasets, packing and LoRA settings are the recipe's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FAMILY_OF
from helpers import RECIPES_DIR

from regllm_lf.demo.round_trip import train_tiny


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(FAMILY_OF))
def test_lora_recipe_trains_two_steps(slug: str, tiny_model: Callable, tmp_path: Path) -> None:
    architecture, template_file = FAMILY_OF[slug]
    base = tiny_model(architecture, template_file)
    out = train_tiny(base, tmp_path / "out", tmp_path / "train.log", str(RECIPES_DIR / f"{slug}_lora.yaml"), steps=2)
    assert (out / "adapter_model.safetensors").is_file()
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert adapter["r"] == 16 and len(adapter["target_modules"]) >= 4  # lora_target: all
    logs = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert logs[-1]["current_steps"] == 2 and any("loss" in entry for entry in logs)
    assert (out / "training_loss.png").is_file()  # plot_loss: true
    log = (tmp_path / "train.log").read_text(encoding="utf-8")
    assert "Invalid role tag" not in log and "Skipping this abnormal example" not in log
