"""``regllm-lf estimate``: the memory model's parts and the README's hardware table."""

from __future__ import annotations

import re

from helpers import RECIPES_DIR, REPO_ROOT

from regllm_lf.train.estimate import estimate_recipe, lora_parameters, markdown_table
from regllm_lf.train.models import model_named


def test_lora_parameters_match_llamafactory_printout() -> None:
    # LLaMA-Factory prints "trainable params: 40,370,176" for Qwen2.5-7B, rank 16, lora_target all.
    assert lora_parameters(model_named("qwen2.5-7b"), 16) == 40_370_176


def test_qlora_needs_less_memory_and_checkpointing_saves_activations() -> None:
    lora = estimate_recipe(RECIPES_DIR / "qwen7b_lora.yaml")
    qlora = estimate_recipe(RECIPES_DIR / "qwen7b_qlora.yaml")
    assert qlora.weights_gib < lora.weights_gib / 2.5 and qlora.total_gib < lora.total_gib
    assert lora.activations_gib < lora.activations_no_checkpointing_gib
    assert 13 < lora.weights_gib < 15.5  # 7.6 B parameters in bf16
    assert lora.tokens_per_epoch > 100_000 and lora.optimizer_steps_per_epoch >= 10


def test_quick_recipe_has_fewer_tokens() -> None:
    quick = estimate_recipe(RECIPES_DIR / "qwen7b_lora_quick.yaml")
    assert quick.tokens_per_epoch < estimate_recipe(RECIPES_DIR / "qwen7b_lora.yaml").tokens_per_epoch


def test_readme_hardware_table_is_generated() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- hardware-table:start -->\n(.*?)\n<!-- hardware-table:end -->", readme, re.DOTALL)
    assert table, "README lacks the generated hardware table"
    recipes = sorted([*RECIPES_DIR.glob("*_lora.yaml"), *RECIPES_DIR.glob("*_qlora.yaml")])
    assert table.group(1) == markdown_table([estimate_recipe(path) for path in recipes])
