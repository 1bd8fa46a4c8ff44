"""Tiny random models of the real architectures and a tokenizer trained on our own texts, built offline.

Nothing is downloaded: the tokenizer is a byte-level BPE trained on the project's datasets, and each
model is a 2-layer random network made from its transformers config class. Used by the tests (one per
architecture) and by the main job's CPU round trip.

Sized for every consumer: head_dim 32 (vLLM's CPU attention supports 32, 64, 80, ... only, and an
unsupported size fails on the first request, not at start-up), and every linear dimension at least 64
(bitsandbytes quantizes in blocks of 64 values: 4-bit QLoRA on the CPU fails below). About half a
million parameters: still seconds to train.
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
HIDDEN_SIZE = 128
HEADS = 4  # head_dim 32
# Weight init spread. A logit is at most about hidden_size x spread (the final norm scales the hidden state
# to length sqrt(hidden_size)); transformers' 0.02 caps it near 2.6, so even a perfectly trained answer
# stays at ~1 % probability, and a fine-tuned tiny model could not answer with a clear margin.
INIT_SPREAD = 0.1


@dataclass(frozen=True)
class Family:
    """A model family: its transformers architecture and its tokenizer's special tokens."""

    architecture: str  # qwen2 | phi3 | phi | stablelm | gemma
    special: dict[str, str] = field(default_factory=dict)
    # The transformers tokenizer class whose normalizer and pre-tokenizer the real family uses. Newer
    # transformers (vLLM's) rebuild a qwen2 tokenizer with Qwen2Tokenizer's pre-tokenizer whatever
    # tokenizer.json says, so a tiny Qwen tokenizer must split text exactly like the real one.
    tokenizer_class: str | None = None
    key_value_heads: int = 2  # k/v projections of 2 x 32 = 64 values


FAMILIES = {
    "qwen2": Family("qwen2", {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}, "Qwen2Tokenizer"),
    "phi3": Family(
        "phi3", {"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>", "pad_token": "<|endoftext|>"}
    ),
    # vLLM's phi (phi-2) has no grouped-query attention: as many key/value heads as heads.
    "phi": Family(
        "phi",
        {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"},
        key_value_heads=HEADS,
    ),
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
    out_dir: Path,
    special: dict[str, str],
    chat_template: str | None = None,
    texts: list[str] | None = None,
    like: str | None = None,
) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on ``texts`` (default: all our dataset texts), saved to ``out_dir``.

    ``like``: a transformers tokenizer class name whose normalizer and pre-tokenizer to use."""
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    if like is not None:
        import transformers

        reference = getattr(transformers, like)()._tokenizer
        backend.normalizer = reference.normalizer
        backend.pre_tokenizer = reference.pre_tokenizer
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


def _config(architecture: str, vocab_size: int, token_ids: dict[str, int | None], hidden_size: int = HIDDEN_SIZE):  # noqa: ANN202
    import transformers

    common = dict(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,
        num_attention_heads=HEADS,
        num_key_value_heads=FAMILIES[architecture].key_value_heads,
        max_position_embeddings=8192,
        initializer_range=INIT_SPREAD,
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
        return transformers.GemmaConfig(head_dim=hidden_size // HEADS, **common)
    raise ValueError(f"unknown architecture {architecture!r}")


def build_tiny_model(
    out_dir: Path, architecture: str, chat_template: str | None = None, hidden_size: int = HIDDEN_SIZE
) -> Path:
    """A 2-layer random model of ``architecture`` with a tokenizer trained on our data, in ``out_dir``."""
    import torch
    from transformers import AutoModelForCausalLM

    family = FAMILIES[architecture]
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(out_dir, family.special, chat_template, like=family.tokenizer_class)
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


def build_qwen2(out_dir: Path, chat_template: str | None = None, hidden_size: int = HIDDEN_SIZE) -> Path:
    return build_tiny_model(out_dir, "qwen2", chat_template, hidden_size)
