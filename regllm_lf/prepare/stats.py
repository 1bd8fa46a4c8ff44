"""``regllm-lf stats``: rows, turns, characters and token lengths per dataset and topic.

``--tokenizer qwen`` counts exactly with Qwen's BPE (the vocabulary of Qwen2.5 and Qwen1.5).
Without ``--tokenizer`` token counts are an ESTIMATE: ceil(characters / 3.5) plus 4 tokens per message
for the chat-template markers (3.5 characters per token is a common rule of thumb for BPE tokenizers on
Spanish text). With a local Hugging Face tokenizer directory the counts are exact: the tokenizer's own
chat template when it has one, else the messages joined by newlines.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CHARS_PER_TOKEN_ESTIMATE = 3.5
TOKENS_PER_MESSAGE_ESTIMATE = 4

TokenCounter = Callable[[list[dict[str, str]]], int]


def estimated_tokens(messages: list[dict[str, str]]) -> int:
    characters = sum(len(message["content"]) for message in messages)
    return math.ceil(characters / CHARS_PER_TOKEN_ESTIMATE) + TOKENS_PER_MESSAGE_ESTIMATE * len(messages)


# Qwen's pre-tokenizer pattern (the same for Qwen, Qwen1.5 and Qwen2.5), with their BPE ranks below.
QWEN_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN_SPECIAL = {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645}


@cache  # loading the 150k BPE ranks takes a second; the hardware table asks once per recipe
def qwen_counter() -> TokenCounter:
    """Exact Qwen token counts of the chatml rendering, from the BPE ranks the dashscope package ships."""
    from importlib import resources

    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    try:
        ranks_path = resources.files("dashscope").joinpath("resources", "qwen.tiktoken")
    except ModuleNotFoundError as error:
        raise SystemExit("--tokenizer qwen needs the dashscope package: pip install -e '.[measure]'") from error
    encoding = tiktoken.Encoding(
        "qwen", pat_str=QWEN_PATTERN, mergeable_ranks=load_tiktoken_bpe(str(ranks_path)), special_tokens=QWEN_SPECIAL
    )

    def count(messages: list[dict[str, str]]) -> int:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return len(encoding.encode(text, allowed_special="all"))

    return count


def tokenizer_counter(name: str) -> TokenCounter:
    if name == "qwen":
        return qwen_counter()
    from transformers import AutoTokenizer  # heavy import, only when asked for

    path = Path(name)

    tokenizer = AutoTokenizer.from_pretrained(str(path))

    def count(messages: list[dict[str, str]]) -> int:
        if getattr(tokenizer, "chat_template", None):
            rendered = tokenizer.apply_chat_template(messages, tokenize=True)
            ids = rendered["input_ids"] if isinstance(rendered, dict) or hasattr(rendered, "keys") else rendered
            return len(ids)
        return len(tokenizer("\n".join(message["content"] for message in messages))["input_ids"])

    return count


@dataclass(frozen=True)
class GroupStats:
    dataset: str
    topic: str
    rows: int
    turns: int
    characters: int
    token_min: int
    token_median: float
    token_p95: float
    token_max: int
    over_cutoff: int


def percentile(values: list[int], share: float) -> float:
    """Linear-interpolation percentile (numpy's default) without numpy."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def compute_stats(
    rows: list[dict[str, Any]], counter: TokenCounter = estimated_tokens, cutoff_len: int = 2048
) -> list[GroupStats]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        metadata = row.get("metadata", {})
        groups[(metadata.get("dataset", "?"), metadata.get("topic", "?"))].append(row)
        groups[(metadata.get("dataset", "?"), "(todos)")].append(row)
    result = []
    for (dataset, topic), members in sorted(groups.items()):
        tokens = [counter(row["messages"]) for row in members]
        result.append(
            GroupStats(
                dataset,
                topic,
                len(members),
                sum(sum(1 for m in row["messages"] if m["role"] != "system") for row in members),
                sum(len(m["content"]) for row in members for m in row["messages"]),
                min(tokens),
                statistics.median(tokens),
                round(percentile(tokens, 0.95), 1),
                max(tokens),
                sum(1 for count in tokens if count > cutoff_len),
            )
        )
    return result


def format_table(stats: list[GroupStats], exact: bool, cutoff_len: int) -> str:
    header = (
        "dataset",
        "topic",
        "rows",
        "turns",
        "chars",
        "tok_min",
        "tok_median",
        "tok_p95",
        "tok_max",
        f">{cutoff_len}",
    )
    lines = [header] + [
        (
            s.dataset,
            s.topic,
            str(s.rows),
            str(s.turns),
            str(s.characters),
            str(s.token_min),
            f"{s.token_median:g}",
            f"{s.token_p95:g}",
            str(s.token_max),
            str(s.over_cutoff),
        )
        for s in stats
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    text = "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines)
    note = (
        "tokens: exact (tokenizer)"
        if exact
        else (
            f"tokens: ESTIMATE = ceil(chars / {CHARS_PER_TOKEN_ESTIMATE}) + {TOKENS_PER_MESSAGE_ESTIMATE} per message; "
            "pass --tokenizer DIR for exact counts"
        )
    )
    return f"{text}\n{note}"
