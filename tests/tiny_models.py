"""Tiny random models of the real architectures and a tokenizer trained on our own texts, built offline.

Nothing is downloaded: the tokenizer is a byte-level BPE trained on the project's datasets, and each
model is a 2-layer random network made from its transformers config class.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from regllm_lf.catalog import source_files
from regllm_lf.jsonio import read_records

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


def project_texts() -> list[str]:
    problems: list = []
    rows = [record.data for path in source_files() for record in read_records(path, problems)]
    return [message["content"] for row in rows for message in row["messages"]]


def train_tokenizer(out_dir: Path, texts: list[str] | None = None, **special: str) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on ``texts`` (default: all our dataset texts), saved to ``out_dir``.

    ``special`` sets the roles, e.g. ``eos_token="<|im_end|>", pad_token="<|endoftext|>"``.
    """
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
    tokenizer.add_special_tokens(
        {"additional_special_tokens": [t for t in SPECIAL_TOKENS if t not in special.values()]}
    )
    tokenizer.save_pretrained(out_dir)
    return tokenizer


def build_qwen2(out_dir: Path, tokenizer_dir: Path | None = None) -> Path:
    """A 2-layer random Qwen2 with a Qwen-style tokenizer (eos <|im_end|>, pad <|endoftext|>)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = train_tokenizer(out_dir, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(out_dir)
    (out_dir / "generation_config.json").write_text(json.dumps({"eos_token_id": tokenizer.eos_token_id}))
    return out_dir
