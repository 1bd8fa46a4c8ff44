"""LLaMA-Factory's own loader (parser + sharegpt converter + SFT preprocessing) keeps every row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATASETS_DIR

from regllm_lf.tasks.registry import SPLITS, all_tasks


def _rows(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def load_with_llamafactory(
    model_dir: Path, dataset_dir: Path, names: list[str], output_dir: Path, template: str, stage: str = "sft"
):
    """LLaMA-Factory's own dataset pipeline (parser, converter, preprocessing) for a training stage."""
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    model_args, data_args, training_args, _, _ = get_train_args(
        {
            "model_name_or_path": str(model_dir),
            "stage": stage,
            "do_train": True,
            "finetuning_type": "lora",
            "dataset": ",".join(names),
            "dataset_dir": str(dataset_dir),
            "template": template,
            "cutoff_len": 16384,
            "output_dir": str(output_dir),
            "overwrite_cache": True,
            "report_to": "none",
        }
    )
    tokenizer_module = load_tokenizer(model_args)
    template_obj = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    data_stage = "rm" if stage in ("dpo", "rm") else stage  # pairwise preprocessing for preference data
    return get_dataset(template_obj, model_args, data_args, training_args, data_stage, **tokenizer_module)


@pytest.mark.slow
@pytest.mark.parametrize("split", SPLITS)
def test_every_registered_row_survives_llamafactory(tiny_qwen2: Path, tmp_path: Path, split: str) -> None:
    info = json.loads((DATASETS_DIR / "dataset_info.json").read_text(encoding="utf-8"))
    names = [dataset.entry_name(split) for dataset in all_tasks()]
    assert all(name in info for name in names)
    rows_in = sum(_rows(DATASETS_DIR / info[name]["file_name"]) for name in names)
    module = load_with_llamafactory(tiny_qwen2, DATASETS_DIR, names, tmp_path, "qwen")
    assert rows_in > 0
    assert len(module["train_dataset"]) == rows_in


@pytest.mark.slow
def test_llamafactory_would_drop_a_malformed_row(tiny_qwen2: Path, tmp_path: Path) -> None:
    """The check above can fail: LLaMA-Factory silently skips a row with a bad role order."""
    from regllm_lf.prepare.dataset_info import register_entries, sharegpt_entry

    good = {"messages": [{"role": "user", "content": "¿PD?"}, {"role": "assistant", "content": "Probabilidad."}]}
    bad = {"messages": [{"role": "assistant", "content": "Sin pregunta"}, {"role": "user", "content": "¿?"}]}
    (tmp_path / "rows.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    register_entries(tmp_path, {"regllm_probe": sharegpt_entry("rows.jsonl")})
    module = load_with_llamafactory(tiny_qwen2, tmp_path, ["regllm_probe"], tmp_path / "out", "qwen")
    assert len(module["train_dataset"]) == 1
