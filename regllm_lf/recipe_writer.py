"""Write the LLaMA-Factory recipes under ``recipes/`` from the model catalogue.

The recipes are plain LLaMA-Factory YAML that users run and edit; they are generated so that the seven
models stay consistent, and a test fails when a committed recipe drifts from what this module writes.
Context lengths come from measurement: the longest row is 2,148 tokens with Qwen's tokenizer
(``regllm-lf stats --tokenizer qwen``), so cutoff_len 3072 truncates nothing for the Qwen models.
"""

from __future__ import annotations

import json
from pathlib import Path

from regllm_lf.models import DEFAULT_SYSTEM, EVAL_DATASETS, TRAIN_DATASETS, ModelSpec, load_models
from regllm_lf.paths import RECIPES_DIR

MEASURED_MAX_QWEN_TOKENS = 2148
# Per family: cutoff_len and why. Other tokenizers split Spanish into more pieces than Qwen's.
CUTOFF = {
    "qwen": (3072, f"longest row: {MEASURED_MAX_QWEN_TOKENS} Qwen tokens (measured); 3072 truncates nothing"),
    "phi": (4096, "Phi-3-mini's full 4k context: its 32k vocabulary needs more tokens than Qwen's"),
    "zephyr": (4096, "StableLM's full 4k context: its 50k vocabulary needs more tokens than Qwen's"),
    "gemma": (3072, "Gemma's 256k vocabulary needs no more tokens than Qwen's 152k"),
    "default": (
        2048,
        "phi-2's whole context (2048). Our longest SQL reviews are ~2,150 Qwen tokens and more with phi-2's "
        "tokenizer, so LLaMA-Factory truncates those few rows here: `regllm-lf stats --tokenizer <phi-2 dir> "
        "--cutoff-len 2048` counts them",
    ),
}


def _header(lines: list[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def _system_line() -> str:
    return f"default_system: {json.dumps(DEFAULT_SYSTEM, ensure_ascii=False)}"


def train_recipe(model: ModelSpec, qlora: bool = False, quick: bool = False, deepspeed: str | None = None) -> str:
    cutoff, why = CUTOFF[model.template]
    variant = "_quick" if quick else ("_ds3" if deepspeed else "")
    name = f"{model.slug}_{'qlora' if qlora else 'lora'}{variant}.yaml"
    method = "QLoRA (4-bit NF4, bitsandbytes)" if qlora else "LoRA"
    lines = [
        f"{model.hf_id}: {method} SFT on the three regllm datasets{' (quick test subset)' if quick else ''}.",
        f"Run:   llamafactory-cli train recipes/{name}",
        f"  or:  regllm-lf train --model {model.key}{' --qlora' if qlora else ''}{' --small-subset' if quick else ''}",
    ]
    if deepspeed:
        lines.append("Multi-GPU: FORCE_TORCHRUN=1 llamafactory-cli train recipes/" + name)
    lines += ["", *[part.strip() for part in _wrap(model.note)]]
    adapter = model.adapter_dir(qlora).replace("/sft", "/quick") if quick else model.adapter_dir(qlora)
    body = [
        "### model",
        f"model_name_or_path: {model.hf_id}",
        "trust_remote_code: false",
    ]
    if qlora:
        body += [
            "quantization_bit: 4",
            "quantization_method: bnb  # choices: [bnb, hqq, eetq]; bnb = bitsandbytes NF4",
            "quantization_type: nf4",
            "double_quantization: true",
        ]
    body += [
        "",
        "### method",
        "stage: sft",
        "do_train: true",
        "finetuning_type: lora",
        "lora_target: all",
        f"lora_rank: {model.lora_rank}",
        f"lora_alpha: {model.lora_alpha}",
        "lora_dropout: 0.05",
    ]
    if deepspeed:
        body.append(f"deepspeed: {deepspeed}  # choices: [recipes/deepspeed/ds_z2_config.json, ds_z3_config.json]")
    body += [
        "",
        "### dataset",
        "dataset_dir: datasets",
        f"dataset: {TRAIN_DATASETS}",
        f"template: {model.template}",
        _system_line(),
        f"cutoff_len: {cutoff}  # {why}",
        "neat_packing: true  # pack short rows into cutoff_len without cross-attention between them",
    ]
    if quick:
        body.append("max_samples: 40  # per dataset: a few minutes on one GPU")
    body += [
        "overwrite_cache: true",
        "preprocessing_num_workers: 4",
        "dataloader_num_workers: 2",
        "",
        "### output",
        f"output_dir: {adapter}",
        "logging_steps: 2",
        "save_steps: 50",
        "plot_loss: true",
        "overwrite_output_dir: true",
        "save_only_model: false",
        "report_to: none  # choices: [none, wandb, tensorboard, swanlab, mlflow]",
        "",
        "### train",
        "per_device_train_batch_size: 1",
        "gradient_accumulation_steps: 2  # ~300 packed rows: keep enough optimizer steps per epoch",
        f"learning_rate: {'2.0e-4' if qlora else '1.0e-4'}",
        f"num_train_epochs: {'1.0' if quick else '3.0'}",
        "lr_scheduler_type: cosine",
        "warmup_steps: 0.1  # below 1: a share of the total steps",
        "bf16: true",
        "ddp_timeout: 180000000",
        "resume_from_checkpoint: null",
        "",
        "### eval",
        f"eval_dataset: {EVAL_DATASETS}",
        "per_device_eval_batch_size: 1",
        "eval_strategy: steps",
        f"eval_steps: {5 if quick else 20}",
    ]
    return _header(lines) + "\n" + "\n".join(body) + "\n"


def _wrap(text: str, width: int = 100) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def dpo_recipe(model: ModelSpec) -> str:
    cutoff, why = CUTOFF[model.template]
    name = f"{model.slug}_lora_dpo.yaml"
    lines = [
        f"{model.hf_id}: DPO on our preference pairs, continuing the SFT LoRA adapter.",
        f"Run after SFT:  llamafactory-cli train recipes/{name}",
        "",
        "Pairs (regllm_dpo) come from the train splits only: chosen = the true answer, rejected = a realistic",
        "wrong one (another bank's or year's figure, a figure off by a few %, an invented figure, a wrong or",
        "non-existent paragraph, a missed finding, flawed SQL called compliant). The SFT adapter keeps",
        "training, and the reference model is the SFT model too (base + the same adapter, frozen): with",
        "ref_model unset, LoRA DPO in LLaMA-Factory would compare against the base without the adapter.",
    ]
    body = [
        "### model",
        f"model_name_or_path: {model.hf_id}",
        f"adapter_name_or_path: {model.adapter_dir()}  # the SFT adapter: DPO starts where SFT ended",
        f"ref_model: {model.hf_id}",
        f"ref_model_adapters: {model.adapter_dir()}  # reference = the SFT model",
        "trust_remote_code: false",
        "",
        "### method",
        "stage: dpo",
        "do_train: true",
        "finetuning_type: lora",
        "lora_target: all",
        "pref_beta: 0.1  # KL strength: small, the pairs differ only in a figure or a citation",
        "pref_loss: sigmoid  # choices: [sigmoid (dpo), orpo, simpo]",
        "",
        "### dataset",
        "dataset_dir: datasets",
        "dataset: regllm_dpo",
        f"template: {model.template}",
        _system_line(),
        f"cutoff_len: {cutoff}  # {why}",
        "overwrite_cache: true",
        "preprocessing_num_workers: 4",
        "",
        "### output",
        f"output_dir: {model.adapter_dir().replace('/sft', '/dpo')}",
        "logging_steps: 2",
        "save_steps: 50",
        "plot_loss: true",
        "overwrite_output_dir: true",
        "report_to: none  # choices: [none, wandb, tensorboard, swanlab, mlflow]",
        "",
        "### train",
        "per_device_train_batch_size: 1",
        "gradient_accumulation_steps: 4",
        "learning_rate: 5.0e-6",
        "num_train_epochs: 1.0",
        "lr_scheduler_type: cosine",
        "warmup_steps: 0.1  # below 1: a share of the total steps",
        "bf16: true",
        "ddp_timeout: 180000000",
    ]
    return _header(lines) + "\n" + "\n".join(body) + "\n"


def merge_recipe(model: ModelSpec, qlora: bool = False) -> str:
    name = f"{model.slug}{'_qlora' if qlora else ''}.yaml"
    lines = [
        f"Merge the {'QLoRA' if qlora else 'LoRA'} adapter into {model.hf_id} for vLLM.",
        f"Run:  regllm-lf merge --model {model.key}{' --qlora' if qlora else ''}",
        f"      (= llamafactory-cli export recipes/merge/{name}, then the chat-template and",
        "       generation_config fixes of regllm_lf.merge)",
    ]
    if qlora:
        lines.append("A quantized model cannot be merged: the adapter goes onto the unquantized base.")
    body = [
        "### model",
        f"model_name_or_path: {model.hf_id}",
        f"adapter_name_or_path: {model.adapter_dir(qlora)}",
        f"template: {model.template}",
        _system_line(),
        "trust_remote_code: false",
        "",
        "### export",
        f"export_dir: {model.merged_dir(qlora)}",
        "export_size: 5  # GB per shard",
        "export_device: cpu  # choices: [cpu, auto]",
        "export_legacy_format: false",
    ]
    return _header(lines) + "\n" + "\n".join(body) + "\n"


def infer_recipe(model: ModelSpec) -> str:
    name = f"{model.slug}.yaml"
    lines = [
        f"Chat with / serve {model.hf_id} + our LoRA adapter through LLaMA-Factory.",
        f"Chat: llamafactory-cli chat recipes/infer/{name}",
        f"API:  API_PORT=8000 llamafactory-cli api recipes/infer/{name}",
        "With infer_backend: vllm, LLaMA-Factory 0.9.5 needs vllm<=0.11 (or DISABLE_VERSION_CHECK=1).",
    ]
    body = [
        f"model_name_or_path: {model.hf_id}",
        f"adapter_name_or_path: {model.adapter_dir()}",
        f"template: {model.template}",
        _system_line(),
        "infer_backend: huggingface  # choices: [huggingface, vllm, sglang]",
        "trust_remote_code: false",
    ]
    return _header(lines) + "\n" + "\n".join(body) + "\n"


# Batch sizes, clipping and precision come from the LLaMA-Factory recipe ("auto").
_DEEPSPEED_COMMON = {
    "train_batch_size": "auto",
    "train_micro_batch_size_per_gpu": "auto",
    "gradient_accumulation_steps": "auto",
    "gradient_clipping": "auto",
    "zero_allow_untested_optimizer": True,
    "bf16": {"enabled": "auto"},
}
DEEPSPEED = {
    "ds_z2_config.json": {
        **_DEEPSPEED_COMMON,
        "zero_optimization": {
            "stage": 2,
            "allgather_partitions": True,
            "allgather_bucket_size": 5e8,
            "overlap_comm": False,
            "reduce_scatter": True,
            "reduce_bucket_size": 5e8,
            "contiguous_gradients": True,
            "round_robin_gradients": True,
        },
    },
    "ds_z3_config.json": {
        **_DEEPSPEED_COMMON,
        "zero_optimization": {
            "stage": 3,
            "overlap_comm": False,
            "contiguous_gradients": True,
            "sub_group_size": 1e9,
            "reduce_bucket_size": "auto",
            "stage3_prefetch_bucket_size": "auto",
            "stage3_param_persistence_threshold": "auto",
            "stage3_max_live_parameters": 1e9,
            "stage3_max_reuse_distance": 1e9,
            "stage3_gather_16bit_weights_on_model_save": True,
        },
    },
}


def planned_recipes(root: Path = RECIPES_DIR) -> dict[Path, str]:
    """Every recipe file and its content."""
    files: dict[Path, str] = {}
    for model in load_models().values():
        files[root / f"{model.slug}_lora.yaml"] = train_recipe(model)
        files[root / f"{model.slug}_qlora.yaml"] = train_recipe(model, qlora=True)
        files[root / "merge" / f"{model.slug}.yaml"] = merge_recipe(model)
        files[root / "merge" / f"{model.slug}_qlora.yaml"] = merge_recipe(model, qlora=True)
        files[root / "infer" / f"{model.slug}.yaml"] = infer_recipe(model)
    default = load_models()["qwen2.5-7b"]
    files[root / f"{default.slug}_lora_quick.yaml"] = train_recipe(default, quick=True)
    files[root / f"{default.slug}_lora_dpo.yaml"] = dpo_recipe(default)
    files[root / f"{default.slug}_lora_ds3.yaml"] = train_recipe(
        default, deepspeed="recipes/deepspeed/ds_z3_config.json"
    )
    for name, config in DEEPSPEED.items():
        files[root / "deepspeed" / name] = json.dumps(config, indent=2) + "\n"
    return files
