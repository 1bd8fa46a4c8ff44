"""Tiny random models of the real architectures and a tokenizer trained on our own texts, built offline.

Nothing is downloaded: the tokenizer is a byte-level BPE trained on the project's datasets, and each
model is a 2-layer random network made from its transformers config class. Used by the tests (one per
architecture) and by the main job's CPU round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from regllm_lf.core.jsonio import read_records
from regllm_lf.tasks.registry import source_files

# Every special token any of our model families' chat templates uses.
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|end|>",
    "<bos>",
    "<eos>",
    "<pad>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<s>",
    "</s>",
    "<unk>",
]
VOCAB_SIZE = 1200


@dataclass(frozen=True)
class Family:
    """A model family: its transformers architecture and its tokenizer's special tokens."""

    architecture: str  # qwen2 | phi3 | phi | stablelm | gemma
    special: dict[str, str] = field(default_factory=dict)


FAMILIES = {
    "qwen2": Family("qwen2", {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}),
    "phi3": Family(
        "phi3", {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>", "pad_token": "<|endoftext|>"}
    ),
    "phi": Family("phi", {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}),
    "stablelm": Family(
        "stablelm", {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}
    ),
    "gemma": Family("gemma", {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}),
}


def project_texts() -> list[str]:
    problems: list = []
    rows = [record.data for path in source_files() for record in read_records(path, problems)]
    return [message["content"] for row in rows for message in row["messages"]]


def train_tokenizer(
    out_dir: Path, special: dict[str, str], chat_template: str | None = None, texts: list[str] | None = None
) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on ``texts`` (default: all our dataset texts), saved to ``out_dir``."""
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts if texts is not None else project_texts(), trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, **special)
    extra = [token for token in SPECIAL_TOKENS if token not in special.values()]
    tokenizer.add_special_tokens({"additional_special_tokens": extra})
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def _config(architecture: str, vocab_size: int, token_ids: dict[str, int | None], hidden_size: int = 32):  # noqa: ANN202
    import transformers

    common = dict(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        **token_ids,
    )
    if architecture == "qwen2":
        return transformers.Qwen2Config(tie_word_embeddings=True, **common)
    if architecture == "phi3":
        return transformers.Phi3Config(**common)
    if architecture == "phi":
        return transformers.PhiConfig(**common)
    if architecture == "stablelm":
        return transformers.StableLmConfig(**common)
    if architecture == "gemma":
        return transformers.GemmaConfig(head_dim=8, **common)
    raise ValueError(f"unknown architecture {architecture!r}")


def build_tiny_model(out_dir: Path, architecture: str, chat_template: str | None = None, hidden_size: int = 32) -> Path:
    """A 2-layer random model of ``architecture`` with a tokenizer trained on our data, in ``out_dir``.

    ``hidden_size`` 32 is enough to exercise every code path; 128 can memorise a few rows."""
    import torch
    from transformers import AutoModelForCausalLM

    family = FAMILIES[architecture]
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(out_dir, family.special, chat_template)
    token_ids = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = _config(architecture, len(tokenizer), token_ids, hidden_size)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(out_dir)
    # Like the real base models: generation stops on the tokenizer's eos, which is not the chat end token.
    (out_dir / "generation_config.json").write_text(
        json.dumps({k: v for k, v in token_ids.items() if v is not None}, indent=2) + "\n", encoding="utf-8"
    )
    return out_dir


def build_qwen2(out_dir: Path, chat_template: str | None = None, hidden_size: int = 32) -> Path:
    return build_tiny_model(out_dir, "qwen2", chat_template, hidden_size)
