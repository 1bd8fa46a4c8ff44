"""Template parity: the chat template saved with the merged model renders conversations to exactly the
token ids LLaMA-Factory's template produced in training; generation stops on the chat end token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import chat_template
from transformers import AutoTokenizer

from regllm_lf.demo.tiny_models import FAMILIES, train_tokenizer
from regllm_lf.serve.merge import (
    finalize_merged_dir,
    llamafactory_template,
    probe_conversations,
    rendered_ids,
    training_ids,
)

# (family, LLaMA-Factory template, real chat template, chat end token, does the base jinja already match?)
CASES = [
    ("qwen2", "qwen", "qwen2_5.jinja", "<|im_end|>", False),  # only without a system: Qwen's English default
    ("qwen2", "qwen", "qwen1_5.jinja", "<|im_end|>", False),
    ("phi3", "phi", "phi3.jinja", "<|end|>", False),  # the jinja adds <s>, LLaMA-Factory does not
    ("gemma", "gemma", "gemma.jinja", "<end_of_turn>", False),  # gemma's jinja refuses a system message
    ("stablelm", "zephyr", "stablelm_zephyr.jinja", "<|endoftext|>", False),
    ("phi", "default", None, "<|endoftext|>", False),  # phi-2 ships no chat template
]


@pytest.mark.parametrize(
    ("family", "template_name", "jinja", "end_token", "base_matches"), CASES, ids=[case[2] or case[0] for case in CASES]
)
def test_saved_template_renders_the_training_ids(
    tmp_path: Path, family: str, template_name: str, jinja: str | None, end_token: str, base_matches: bool
) -> None:
    train_tokenizer(tmp_path, FAMILIES[family].special, chat_template(jinja))
    base_eos = AutoTokenizer.from_pretrained(tmp_path).eos_token_id
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": base_eos}))

    report = finalize_merged_dir(tmp_path, template_name)
    assert report.base_template_matched is base_matches
    assert report.saved_template_matched

    # Independent check on the files a server would read.
    saved = AutoTokenizer.from_pretrained(tmp_path)
    assert (tmp_path / "chat_template.jinja").is_file()
    template = llamafactory_template(AutoTokenizer.from_pretrained(tmp_path), template_name)
    for messages in probe_conversations():
        full, prompt = training_ids(template, saved, messages)
        assert rendered_ids(saved, messages) == full
        assert rendered_ids(saved, messages[:-1], generation_prompt=True) == prompt

    eos = json.loads((tmp_path / "generation_config.json").read_text())["eos_token_id"]
    assert saved.convert_tokens_to_ids(end_token) in eos and base_eos in eos


def test_qwen_base_template_matches_when_a_system_prompt_is_given(tmp_path: Path) -> None:
    """Documents why qwen needed a new template: with a system prompt Qwen2.5's own jinja already agrees."""
    tokenizer = train_tokenizer(tmp_path, FAMILIES["qwen2"].special, chat_template("qwen2_5.jinja"))
    template = llamafactory_template(AutoTokenizer.from_pretrained(tmp_path), "qwen")
    with_system = probe_conversations()[0]
    assert rendered_ids(tokenizer, with_system) == training_ids(template, tokenizer, with_system)[0]
    without_system = probe_conversations()[2]
    assert rendered_ids(tokenizer, without_system) != training_ids(template, tokenizer, without_system)[0]
