"""The model catalogue (``model_catalog.yaml``): the seven models, their templates and architectures."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from regllm_lf import project

DEFAULT_MODEL = "qwen2.5-7b"
# One Spanish system prompt for rows and requests that bring none (LLaMA-Factory would otherwise use the
# template's English default, e.g. "You are Qwen, created by Alibaba Cloud...").
DEFAULT_SYSTEM = (
    "Eres un asistente experto en riesgo de crédito y regulación bancaria para bancos españoles: revisas "
    "código SQL frente a la metodología de la EBA y el CRR, respondes sobre cifras publicadas por los bancos "
    "españoles citando su fuente y citas la normativa con exactitud. Respondes siempre en español."
)


def train_datasets() -> str:
    """The recipes' ``dataset``: every shipped task's train split."""
    from regllm_lf.tasks.registry import builtin_tasks

    return ",".join(task.entry_name("train") for task in builtin_tasks())


def eval_datasets() -> str:
    from regllm_lf.tasks.registry import builtin_tasks

    return ",".join(task.entry_name("test") for task in builtin_tasks())


@dataclass(frozen=True)
class ModelSpec:
    key: str
    slug: str
    hf_id: str
    template: str
    architecture: str
    note: str
    params_billion: float
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vocab_size: int
    mlp: str
    lora_rank: int
    lora_alpha: int
    cutoff_len: int
    cutoff_reason: str
    head_dim: int | None = None

    @property
    def head_size(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads

    def recipe(self, qlora: bool = False, variant: str = "") -> str:
        return str(project.recipes_dir() / f"{self.slug}_{'qlora' if qlora else 'lora'}{variant}.yaml")

    def merge_recipe(self, qlora: bool = False) -> str:
        return str(project.recipes_dir() / "merge" / f"{self.slug}{'_qlora' if qlora else ''}.yaml")

    def infer_recipe(self) -> str:
        return str(project.recipes_dir() / "infer" / f"{self.slug}.yaml")

    def adapter_dir(self, qlora: bool = False) -> str:
        return f"saves/{self.slug}/{'qlora' if qlora else 'lora'}/sft"

    def merged_dir(self, qlora: bool = False) -> str:
        return f"saves/{self.slug}/{'qlora-' if qlora else ''}merged"


@cache
def load_models() -> dict[str, ModelSpec]:
    data: dict[str, Any] = yaml.safe_load(
        resources.files("regllm_lf.train").joinpath("model_catalog.yaml").read_text(encoding="utf-8")
    )
    defaults = data["defaults"]  # measured_longest_row_qwen_tokens: read by measured_longest_row()
    return {key: ModelSpec(key=key, **{**defaults, **values}) for key, values in data["models"].items()}


def model_for_hf_id(hf_id: str) -> ModelSpec | None:
    """The catalogue entry whose Hugging Face id is ``hf_id``, if any."""
    return next((model for model in load_models().values() if model.hf_id == hf_id), None)


def model_named(key: str) -> ModelSpec:
    models = load_models()
    if key not in models:
        raise KeyError(f"unknown model {key!r}; choose one of: {', '.join(models)}")
    return models[key]


def measured_longest_row() -> int:
    """The longest training row in Qwen tokens, as measured and recorded in the catalogue."""
    data = yaml.safe_load(resources.files("regllm_lf.train").joinpath("model_catalog.yaml").read_text(encoding="utf-8"))
    return int(data["measured_longest_row_qwen_tokens"])
