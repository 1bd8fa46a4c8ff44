"""QLoRA for real on the CPU: every QLoRA recipe loads its tiny model in 4 bits (bitsandbytes) exactly as
LLaMA-Factory's trainer does and trains 2 steps; a QLoRA adapter merges onto the unquantized base with
`regllm-lf merge --qlora` and the merged dir serves in vLLM."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import FAMILY_OF
from helpers import RECIPES_DIR, SHORT_ANSWER, SHORT_QUESTION, assert_served_ids_equal_training, post_json

from regllm_lf.demo.round_trip import train_tiny
from regllm_lf.serve.local import free_port
from regllm_lf.serve.server import SERVED_MODEL_NAME, vllm_command
from regllm_lf.serve.vllm_env import VllmServer

QLORA_RECIPES = sorted(path.name for path in RECIPES_DIR.glob("*_qlora.yaml"))


def quantized_layers(recipe: Path, base: Path, out: Path, **overrides: str) -> int:
    """``bnb.nn.Linear4bit`` layers in the model LLaMA-Factory's loader builds for training with ``recipe``."""
    import bitsandbytes
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_model, load_tokenizer

    arguments = yaml.safe_load(recipe.read_text(encoding="utf-8"))
    arguments |= {"model_name_or_path": str(base), "bf16": False, "output_dir": str(out), **overrides}
    model_arguments, _, _, finetuning_arguments, _ = get_train_args(arguments)
    tokenizer = load_tokenizer(model_arguments)["tokenizer"]
    model = load_model(tokenizer, model_arguments, finetuning_arguments, is_trainable=True)
    return sum(isinstance(module, bitsandbytes.nn.Linear4bit) for module in model.modules())


def linear_layers(base: Path) -> int:
    """The unquantized model's linear layers but the output head (which bitsandbytes leaves alone)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base)
    return sum(isinstance(module, torch.nn.Linear) and name != "lm_head" for name, module in model.named_modules())


@pytest.mark.slow
@pytest.mark.parametrize("recipe", QLORA_RECIPES)
def test_qlora_recipe_trains_on_a_4bit_model(recipe: str, tiny_model: Callable, tmp_path: Path) -> None:
    base = tiny_model(*FAMILY_OF[recipe.removesuffix("_qlora.yaml")])
    assert quantized_layers(RECIPES_DIR / recipe, base, tmp_path / "probe") == linear_layers(base) > 0
    # 16 rows per dataset: the 2 steps still train on full packed sequences; the evaluation stays short.
    few = {"max_samples": "16"}
    out = train_tiny(base, tmp_path / "out", tmp_path / "train.log", str(RECIPES_DIR / recipe), steps=2, extra=few)
    assert (out / "adapter_model.safetensors").is_file()
    logs = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert logs[-1]["current_steps"] == 2 and any("loss" in entry for entry in logs)
    assert "Quantizing model to 4 bit with bitsandbytes" in (tmp_path / "train.log").read_text(encoding="utf-8")


@pytest.mark.slow
def test_an_unknown_quantization_method_would_load_unquantized(tiny_model: Callable, tmp_path: Path) -> None:
    """Why the test above counts layers: LLaMA-Factory accepts a method it does not know and quantizes nothing."""
    base = tiny_model(*FAMILY_OF["qwen7b"])
    recipe = RECIPES_DIR / "qwen7b_qlora.yaml"
    assert quantized_layers(recipe, base, tmp_path, quantization_method="bitsandbites") == 0


@pytest.mark.slow
def test_qlora_adapter_merges_onto_the_unquantized_base_and_serves(vllm_installed: Path, short_answer_model) -> None:
    model = short_answer_model("qwen2.5-7b", qlora=True)
    config = json.loads((model.merged / "config.json").read_text(encoding="utf-8"))
    assert "quantization_config" not in config
    base_config = json.loads((model.base / "config.json").read_text(encoding="utf-8"))
    assert config["dtype"] == base_config["dtype"]  # full precision weights, not 4-bit ones
    port = free_port()
    command = vllm_command(str(model.merged), port=port, host="127.0.0.1")
    with VllmServer(command, port, model.folder / "vllm.log") as server:
        print(f"QLoRA merged: vLLM ready in {server.started_in:.1f} s")
        assert_served_ids_equal_training(server.root_url, SERVED_MODEL_NAME, model.base, model.template)
        body = {"model": SERVED_MODEL_NAME, "messages": [{"role": "user", "content": SHORT_QUESTION}], "max_tokens": 16}
        choice = post_json(f"{server.base_url}/chat/completions", {**body, "temperature": 0})["choices"][0]
    assert choice["message"]["content"] == SHORT_ANSWER and choice["finish_reason"] == "stop"
