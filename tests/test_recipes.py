"""Every shipped recipe is loaded by LLaMA-Factory's own argument parser; values that matter are checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import DATASETS_DIR, RECIPES_DIR

from regllm_lf.prepare.stats import qwen_counter
from regllm_lf.train.models import DEFAULT_SYSTEM, load_models, measured_longest_row
from regllm_lf.train.recipes import planned_recipes

TRAIN_RECIPES = sorted(path for path in RECIPES_DIR.glob("*.yaml") if not path.name.endswith("_dpo.yaml"))
OTHER_RECIPES = sorted([*RECIPES_DIR.glob("merge/*.yaml"), *RECIPES_DIR.glob("infer/*.yaml")])


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _parse_train(recipe: dict) -> tuple:
    from llamafactory.hparams.parser import _parse_train_args

    recipe = dict(recipe, use_cpu=True)  # bf16 on a machine without a GPU is refused unless use_cpu is set
    recipe.pop("deepspeed", None)  # deepspeed is a GPU-machine install; its JSON is checked below
    return _parse_train_args(recipe)


def test_recipes_match_the_catalogue() -> None:
    drifted = [str(p) for p, content in planned_recipes().items() if p.read_text(encoding="utf-8") != content]
    assert drifted == [], "run `regllm-lf recipes` and commit"
    assert len(TRAIN_RECIPES) == 2 * len(load_models()) + 2  # LoRA + QLoRA per model, quick, ds3


def test_dpo_recipe_parses() -> None:
    recipe = _load(RECIPES_DIR / "qwen7b_lora_dpo.yaml")
    _, data_args, _, finetuning_args, _ = _parse_train(recipe)
    assert finetuning_args.stage == "dpo" and 0 < finetuning_args.pref_beta <= 0.5
    assert finetuning_args.ref_model_adapters == recipe["adapter_name_or_path"] == "saves/qwen7b/lora/sft"
    assert data_args.dataset == ["regllm_dpo"]


@pytest.mark.parametrize("path", TRAIN_RECIPES, ids=lambda p: p.name)
def test_train_recipe_parses_with_llamafactory(path: Path) -> None:
    recipe = _load(path)
    model_args, data_args, training_args, finetuning_args, _ = _parse_train(recipe)
    assert finetuning_args.finetuning_type == "lora" and finetuning_args.lora_target == ["all"]
    assert data_args.template == recipe["template"] and data_args.default_system == DEFAULT_SYSTEM
    assert training_args.bf16 and finetuning_args.plot_loss
    info = json.loads((DATASETS_DIR / "dataset_info.json").read_text(encoding="utf-8"))
    for name in [*recipe["dataset"].split(","), *recipe["eval_dataset"].split(",")]:
        assert name in info
    assert path.read_text(encoding="utf-8").startswith("# ") and f"llamafactory-cli train recipes/{path.name}" in (
        path.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize("path", OTHER_RECIPES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_merge_and_infer_recipes_parse(path: Path) -> None:
    from llamafactory.hparams.parser import _parse_infer_args

    model_args, data_args, _, _ = _parse_infer_args(_load(path))
    assert model_args.adapter_name_or_path and data_args.template
    if path.parent.name == "merge":
        assert model_args.export_dir and model_args.export_device == "cpu"


def test_a_misspelled_key_fails() -> None:
    recipe = _load(RECIPES_DIR / "qwen7b_lora.yaml")
    recipe["lora_rnak"] = 16
    with pytest.raises(ValueError, match="lora_rnak"):
        _parse_train(recipe)


@pytest.mark.parametrize("path", sorted(RECIPES_DIR.glob("*_qlora.yaml")), ids=lambda p: p.name)
def test_qlora_recipes_really_quantize(path: Path) -> None:
    # LLaMA-Factory accepts any method string and then silently loads the model unquantized.
    from llamafactory.extras.constants import QuantizationMethod

    model_args = _parse_train(_load(path))[0]
    assert model_args.quantization_bit == 4
    assert model_args.quantization_method == QuantizationMethod.BNB == "bnb"
    assert model_args.quantization_type == "nf4"


def test_recipes_use_the_catalogue_models_and_templates() -> None:
    for model in load_models().values():
        for path in (RECIPES_DIR / f"{model.slug}_lora.yaml", RECIPES_DIR / "merge" / f"{model.slug}.yaml"):
            recipe = _load(path)
            assert recipe["model_name_or_path"] == model.hf_id and recipe["template"] == model.template


def test_cutoff_len_truncates_no_row_for_qwen() -> None:
    count = qwen_counter()
    longest = 0
    for path in DATASETS_DIR.glob("regllm_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            longest = max(longest, count(json.loads(line)["messages"]))
    assert longest <= measured_longest_row(), "re-measure and update measured_longest_row_qwen_tokens"
    for slug in ("qwen7b", "qwen3b", "qwen1_8b"):
        assert _load(RECIPES_DIR / f"{slug}_lora.yaml")["cutoff_len"] >= longest + 1  # neat_packing uses cutoff - 1


def test_deepspeed_configs() -> None:
    ds3 = _load(RECIPES_DIR / "qwen7b_lora_ds3.yaml")
    config = json.loads((RECIPES_DIR.parent / ds3["deepspeed"]).read_text(encoding="utf-8"))
    assert config["zero_optimization"]["stage"] == 3
    assert json.loads((RECIPES_DIR / "deepspeed" / "ds_z2_config.json").read_text())["zero_optimization"]["stage"] == 2


def test_quick_recipe_is_small() -> None:
    quick = _load(RECIPES_DIR / "qwen7b_lora_quick.yaml")
    assert quick["max_samples"] <= 50 and quick["num_train_epochs"] == 1.0
