"""``regllm-lf estimate``: GPU memory and tokens per epoch for a recipe, from the model's architecture and
our measured row lengths. An estimate with its formula, not a measurement:

- weights: bf16 = 2 bytes/parameter; 4-bit NF4 with double quantization ≈ 0.52 bytes for the quantized
  linear layers, embeddings and lm_head stay in bf16;
- LoRA: rank × (in + out) for every linear layer of every block (``lora_target: all``), kept in fp32
  with its gradient and AdamW's two moments: 16 bytes/parameter;
- activations for batch × cutoff_len tokens in bf16: per token and layer about 2 × (5·hidden + 4·intermediate)
  bytes (attention without the score matrix, as with SDPA/flash attention). With gradient checkpointing
  (LLaMA-Factory's default) only each layer's input (2·hidden bytes) is kept, plus one layer recomputed;
- logits: batch × cutoff_len × vocab × 6 bytes (bf16 logits and their fp32 copy for the loss);
- 1 GiB of CUDA context and allocator slack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from regllm_lf import project
from regllm_lf.core.jsonio import read_records
from regllm_lf.train.models import ModelSpec, model_for_hf_id

GIB = 1024**3
OVERHEAD_BYTES = 1 * GIB
NF4_BYTES_PER_PARAMETER = 0.52


@dataclass(frozen=True)
class Estimate:
    recipe: str
    model: ModelSpec
    quantized: bool
    lora_parameters: int
    weights_gib: float
    lora_states_gib: float
    activations_gib: float
    activations_no_checkpointing_gib: float
    logits_gib: float
    total_gib: float
    total_no_checkpointing_gib: float
    tokens_per_epoch: int
    sequences_per_epoch: int
    optimizer_steps_per_epoch: int
    token_source: str


def lora_parameters(model: ModelSpec, rank: int) -> int:
    hidden, head = model.hidden_size, model.head_size
    attention_out = model.num_heads * head
    kv_out = model.num_kv_heads * head
    per_layer = rank * ((hidden + attention_out) + 2 * (hidden + kv_out) + (attention_out + hidden))
    mlp_shapes = 3 if model.mlp == "gated" else 2
    per_layer += rank * mlp_shapes * (hidden + model.intermediate_size)
    return per_layer * model.num_layers


def _embedding_parameters(model: ModelSpec) -> float:
    return 2 * model.vocab_size * model.hidden_size


def _row_lengths(dataset_names: list[str]) -> tuple[list[int], str]:
    from regllm_lf.prepare.stats import estimated_tokens, qwen_counter

    try:
        counter, source = qwen_counter(), "Qwen BPE (measured)"
    except (SystemExit, ImportError, ModuleNotFoundError):
        counter, source = estimated_tokens, "characters / 3.5 (estimate)"
    lengths = []
    for name in dataset_names:
        for record in read_records(project.datasets_dir() / f"{name}.jsonl", []):
            lengths.append(counter(record.data["messages"]))
    return lengths, source


def model_for_recipe(recipe: dict) -> ModelSpec:
    model = model_for_hf_id(recipe["model_name_or_path"])
    if model is None:
        raise KeyError(f"model {recipe['model_name_or_path']!r} is not in the model catalogue")
    return model


def estimate_recipe(path: Path) -> Estimate:
    recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
    model = model_for_recipe(recipe)
    quantized = recipe.get("quantization_bit") == 4
    batch = int(recipe.get("per_device_train_batch_size", 1))
    cutoff = int(recipe.get("cutoff_len", 2048))
    accumulation = int(recipe.get("gradient_accumulation_steps", 1))
    rank = int(recipe.get("lora_rank", 8))

    parameters = model.params_billion * 1e9
    if quantized:
        embeddings = _embedding_parameters(model)
        weights = (parameters - embeddings) * NF4_BYTES_PER_PARAMETER + embeddings * 2
    else:
        weights = parameters * 2
    lora = lora_parameters(model, rank)
    lora_states = lora * 16
    tokens = batch * cutoff
    per_layer = 2 * (5 * model.hidden_size + 4 * model.intermediate_size) * tokens
    activations_full = per_layer * model.num_layers
    activations_checkpointed = 2 * model.hidden_size * tokens * model.num_layers + per_layer
    logits = tokens * model.vocab_size * 6

    lengths, source = _row_lengths(recipe["dataset"].split(","))
    if recipe.get("max_samples"):
        lengths = lengths[: int(recipe["max_samples"]) * len(recipe["dataset"].split(","))]
    lengths = [min(length, cutoff) for length in lengths]
    packed = bool(recipe.get("packing") or recipe.get("neat_packing"))
    sequences = math.ceil(sum(lengths) / cutoff) if packed else len(lengths)
    steps = math.ceil(sequences / (batch * accumulation))

    base = weights + lora_states + logits + OVERHEAD_BYTES
    return Estimate(
        recipe=project.relative_to_root(path),
        model=model,
        quantized=quantized,
        lora_parameters=lora,
        weights_gib=weights / GIB,
        lora_states_gib=lora_states / GIB,
        activations_gib=activations_checkpointed / GIB,
        activations_no_checkpointing_gib=activations_full / GIB,
        logits_gib=logits / GIB,
        total_gib=(base + activations_checkpointed) / GIB,
        total_no_checkpointing_gib=(base + activations_full) / GIB,
        tokens_per_epoch=sum(lengths),
        sequences_per_epoch=sequences,
        optimizer_steps_per_epoch=steps,
        token_source=source,
    )


def format_estimate(estimate: Estimate) -> str:
    method = "QLoRA 4-bit" if estimate.quantized else "LoRA bf16"
    return "\n".join(
        [
            f"{estimate.recipe}: {estimate.model.hf_id} ({method})",
            f"  weights                 {estimate.weights_gib:7.2f} GiB",
            f"  LoRA params             {estimate.lora_parameters / 1e6:7.1f} M -> "
            f"{estimate.lora_states_gib:.2f} GiB (fp32 weights, grads, AdamW moments)",
            f"  activations             {estimate.activations_gib:7.2f} GiB with gradient checkpointing "
            f"({estimate.activations_no_checkpointing_gib:.2f} GiB without)",
            f"  logits                  {estimate.logits_gib:7.2f} GiB",
            f"  TOTAL                   {estimate.total_gib:7.2f} GiB "
            f"({estimate.total_no_checkpointing_gib:.2f} GiB without checkpointing)",
            f"  tokens per epoch        {estimate.tokens_per_epoch:,} ({estimate.token_source}); "
            f"{estimate.sequences_per_epoch} packed sequences, {estimate.optimizer_steps_per_epoch} optimizer steps",
        ]
    )


def markdown_table(estimates: list[Estimate]) -> str:
    lines = [
        "| recipe | model | method | weights | LoRA states | activations (ckpt / no ckpt) | total GiB (ckpt / no ckpt) "
        "| tokens/epoch | steps/epoch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in estimates:
        lines.append(
            f"| `{e.recipe}` | {e.model.hf_id} | {'QLoRA 4-bit' if e.quantized else 'LoRA bf16'} "
            f"| {e.weights_gib:.1f} | {e.lora_states_gib:.2f} | {e.activations_gib:.1f} / "
            f"{e.activations_no_checkpointing_gib:.1f} | **{e.total_gib:.1f}** / {e.total_no_checkpointing_gib:.1f} "
            f"| {e.tokens_per_epoch:,} | {e.optimizer_steps_per_epoch} |"
        )
    return "\n".join(lines)
