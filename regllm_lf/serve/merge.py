"""Our merge step: ``llamafactory-cli export`` plus the two fixes a vLLM user needs.

1. Chat template parity. vLLM formats prompts with the jinja chat template saved in the merged dir. For
   templates without ``replace_jinja_template`` (qwen, phi, gemma) LLaMA-Factory keeps the *base*
   tokenizer's jinja, while training used LLaMA-Factory's Python template. We render probe
   conversations both ways; where any token id differs we save LLaMA-Factory's own jinja instead.
2. Stop tokens. LLaMA-Factory keeps the base model's ``eos_token_id`` in generation_config.json
   (upstream issue #9338), so plain ``generate`` never stops on the chat end token (``<|im_end|>``,
   ``<|end|>``, ``<end_of_turn>``). We add the template's stop token ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regllm_lf.train.models import DEFAULT_SYSTEM

PROBE_SYSTEM = "Eres un experto en riesgo de crédito."
PROBE_TURNS = [
    ("¿Qué es la PD a un año?", "Es la probabilidad de que el deudor entre en default en doce meses."),
    ("¿Y la LGD?", "La pérdida en caso de default, descontada [EBA/GL/2017/16, párrafo 143]."),
]


@dataclass
class ParityReport:
    template: str
    base_template_matched: bool
    saved_template_matched: bool
    mismatches: list[str]
    stop_token_ids: list[int]


def probe_conversations() -> list[list[dict[str, str]]]:
    """System + one turn, system + two turns, and no system (the default system applies)."""
    one = [{"role": "user", "content": PROBE_TURNS[0][0]}, {"role": "assistant", "content": PROBE_TURNS[0][1]}]
    two = one + [{"role": "user", "content": PROBE_TURNS[1][0]}, {"role": "assistant", "content": PROBE_TURNS[1][1]}]
    system = [{"role": "system", "content": PROBE_SYSTEM}]
    return [system + one, system + two, one]


def llamafactory_template(tokenizer: Any, template_name: str, default_system: str | None = DEFAULT_SYSTEM) -> Any:
    from llamafactory.data import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments

    return get_template_and_fix_tokenizer(
        tokenizer, DataArguments(template=template_name, default_system=default_system)
    )


def training_ids(template: Any, tokenizer: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """(full conversation ids, prompt ids before the last answer) exactly as LLaMA-Factory trains on them."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else None
    turns = messages[1:] if system is not None else messages
    pairs = template.encode_multiturn(tokenizer, turns, system)
    full = [token for prompt, answer in pairs for token in prompt + answer]
    prompt = full[: len(full) - len(pairs[-1][1])]
    return full, prompt


def rendered_ids(tokenizer: Any, messages: list[dict[str, str]], generation_prompt: bool = False) -> list[int] | None:
    """Token ids of the tokenizer's own chat template, or None when the template refuses the conversation."""
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    except Exception:  # noqa: BLE001 - e.g. gemma's "System role not supported"
        return None
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def parity_mismatches(tokenizer: Any, template: Any) -> list[str]:
    """Where the tokenizer's jinja and LLaMA-Factory's template disagree (empty list: they agree)."""
    problems = []
    for number, messages in enumerate(probe_conversations(), start=1):
        full, prompt = training_ids(template, tokenizer, messages)
        if rendered_ids(tokenizer, messages) != full:
            problems.append(f"conversation {number}: full conversation differs")
        if rendered_ids(tokenizer, messages[:-1], generation_prompt=True) != prompt:
            problems.append(f"conversation {number}: generation prompt differs")
    return problems


def fix_generation_config(model_dir: Path, stop_token_ids: list[int]) -> list[int]:
    """Make generation stop on the chat end token(s) as well as the base eos."""
    path = model_dir / "generation_config.json"
    config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    current = config.get("eos_token_id")
    existing = current if isinstance(current, list) else ([current] if current is not None else [])
    merged = list(dict.fromkeys([*stop_token_ids, *existing]))
    config["eos_token_id"] = merged
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return merged


def finalize_merged_dir(
    model_dir: Path, template_name: str, default_system: str | None = DEFAULT_SYSTEM
) -> ParityReport:
    """Apply both fixes to an exported model directory."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    saved_template = tokenizer.chat_template  # read before LLaMA-Factory may set one in memory
    template = llamafactory_template(tokenizer, template_name, default_system)
    if saved_template:
        tokenizer.chat_template = saved_template
        base_mismatches = parity_mismatches(tokenizer, template)
    else:
        base_mismatches = ["no chat template saved"]
    if base_mismatches:
        tokenizer.chat_template = template._get_jinja_template(tokenizer)
        tokenizer.save_pretrained(str(model_dir))
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        template = llamafactory_template(tokenizer, template_name, default_system)
    remaining = parity_mismatches(tokenizer, template)
    stop_ids = fix_generation_config(model_dir, template.get_stop_token_ids(tokenizer))
    report = ParityReport(template_name, not base_mismatches, not remaining, remaining or base_mismatches, stop_ids)
    (model_dir / "regllm_merge_report.json").write_text(json.dumps(report.__dict__, indent=2) + "\n", encoding="utf-8")
    return report


def export_command(recipe: str, overrides: dict[str, str]) -> list[str]:
    from regllm_lf.train.launch import llamafactory_argv

    return llamafactory_argv("export", recipe, overrides)
