"""DPO: preference pairs with hard negatives from the train splits, loaded by LLaMA-Factory, trained on CPU."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import DATASETS_DIR, RECIPES_DIR
from test_llamafactory_loader import load_with_llamafactory
from test_validate import write_jsonl

from regllm_lf.core.jsonio import read_records
from regllm_lf.demo.round_trip import train_tiny
from regllm_lf.prepare.preference import DPO_ENTRY, dpo_file, generate_dpo_rows
from regllm_lf.prepare.validate import validate_files
from regllm_lf.tasks.registry import all_tasks


def _pairs() -> list[dict]:
    return [record.data for record in read_records(dpo_file(), [])]


def test_pairs_come_from_train_rows_only_and_cover_every_kind() -> None:
    pairs = _pairs()
    train_ids = {r.data["metadata"]["id"] for d in all_tasks() for r in read_records(d.split_file("train"), [])}
    test_ids = {r.data["metadata"]["id"] for d in all_tasks() for r in read_records(d.split_file("test"), [])}
    sources = {pair["metadata"]["source_id"] for pair in pairs}
    assert sources <= train_ids and not sources & test_ids
    kinds = Counter(pair["metadata"]["negative_kind"] for pair in pairs)
    assert set(kinds) == {
        "otro_banco",
        "otro_anio",
        "cifra_alterada",
        "alucinacion",
        "cita_erronea",
        "cita_inexistente",
        "hallazgo_omitido",
        "falso_cumplimiento",
    }, kinds
    assert generate_dpo_rows() == pairs  # deterministic


def test_negatives_are_really_wrong() -> None:
    from regllm_lf.tasks.regulation.citations import load_index

    index = load_index()
    for pair in _pairs():
        kind, chosen, rejected = (
            pair["metadata"]["negative_kind"],
            pair["chosen"]["content"],
            pair["rejected"]["content"],
        )
        assert chosen != rejected and pair["messages"][-1]["role"] == "user"
        if kind == "cita_inexistente":
            assert index.unresolved(rejected) and not index.unresolved(chosen)
        if kind == "cita_erronea":
            assert not index.unresolved(rejected) and set(index.unresolved(chosen)) == set()
        if kind == "falso_cumplimiento":
            assert "❌" in chosen and "❌" not in rejected
        if kind == "alucinacion":
            assert "No dispongo" in chosen and ("millones EUR" in rejected or "%" in rejected)


def test_registered_with_ranking() -> None:
    entry = json.loads((DATASETS_DIR / "dataset_info.json").read_text(encoding="utf-8"))[DPO_ENTRY]
    assert entry["ranking"] is True and entry["formatting"] == "sharegpt"
    assert entry["columns"] == {"messages": "messages", "chosen": "chosen", "rejected": "rejected"}


@pytest.mark.slow
def test_llamafactory_loads_every_pair(tiny_qwen2: Path, tmp_path: Path) -> None:
    module = load_with_llamafactory(tiny_qwen2, DATASETS_DIR, [DPO_ENTRY], tmp_path, "qwen", stage="dpo")
    assert len(module["train_dataset"]) == len(_pairs()) > 200


@pytest.mark.slow
def test_dpo_recipe_trains_two_steps_from_an_sft_adapter(tiny_qwen2: Path, tmp_path: Path) -> None:
    sft = train_tiny(tiny_qwen2, tmp_path / "sft", tmp_path / "sft.log", str(RECIPES_DIR / "qwen7b_lora.yaml"), 1)
    overrides = {"adapter_name_or_path": str(sft), "ref_model": str(tiny_qwen2), "ref_model_adapters": str(sft)}
    out = train_tiny(
        tiny_qwen2, tmp_path / "dpo", tmp_path / "dpo.log", str(RECIPES_DIR / "qwen7b_lora_dpo.yaml"), 2, overrides
    )
    logs = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert logs[-1]["current_steps"] == 2 and (out / "adapter_model.safetensors").is_file()


def _pair_row(**changes: object) -> dict:
    row = {
        "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "¿PD?"}],
        "chosen": {"role": "assistant", "content": "Correcta."},
        "rejected": {"role": "assistant", "content": "Incorrecta."},
        "metadata": {"id": "dpo-x", "dataset": "dpo", "topic": "t", "source_id": "x", "negative_kind": "otro_banco"},
    }
    row.update(changes)
    return row


def test_validate_rejects_bad_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    same = _pair_row(rejected={"role": "assistant", "content": "Correcta."})
    ends_with_assistant = _pair_row(
        messages=[{"role": "user", "content": "¿PD?"}, {"role": "assistant", "content": "x"}],
        metadata={"id": "dpo-y", "dataset": "dpo", "topic": "t", "source_id": "y", "negative_kind": "otro_anio"},
    )
    path = write_jsonl(tmp_path / "pairs.jsonl", [_pair_row(), same, ends_with_assistant])
    problems, _ = validate_files([path])
    text = [str(problem) for problem in problems]
    assert "pairs.jsonl:2: rejected: identical to chosen: the pair teaches nothing" in text
    assert "pairs.jsonl:3: messages: a preference prompt must end with the user's turn" in text
    assert not any(line.startswith("pairs.jsonl:1:") for line in text)
    assert "duplicate id" in " ".join(text)  # rows 1 and 2 share an id
