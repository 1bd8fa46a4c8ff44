"""The LLaMA-Board presets say exactly what their recipes say.

Each preset goes through LLaMA-Board's own argument builder (``Runner._parse_train_args`` on the form's
real components, their defaults where the preset is silent), then both it and the recipe go through
LLaMA-Factory's argument parser; every parsed field must agree. The browser test (test_board.py)
checks that the form in a browser carries the same values.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DATASETS_DIR, RECIPES_DIR, project_copy

from regllm_lf import project
from regllm_lf.cli import main
from regllm_lf.train.board_presets import BANNER, board_preset, planned_presets

TRAINING_RECIPES = sorted(
    path.name for path in RECIPES_DIR.glob("*.yaml") if yaml.safe_load(path.read_text(encoding="utf-8")).get("do_train")
)


@pytest.fixture(scope="module")
def presets() -> dict[str, str]:
    """Preset file name -> content, as `regllm-lf board` writes them for this checkout."""
    return {path.name: content for path, content in planned_presets().items()}


def test_one_preset_per_training_recipe(presets: dict[str, str]) -> None:
    assert sorted(presets) == TRAINING_RECIPES and len(presets) > 10


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """LLaMA-Board's engine with its Train tab built (no server): the form's components and defaults."""
    import gradio as gr
    from llamafactory.webui.components import create_top, create_train_tab
    from llamafactory.webui.engine import Engine

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("board-engine"))  # it writes llamaboard_cache/ where it runs
        engine = Engine(pure_chat=False)
        with gr.Blocks():
            engine.manager.add_elems("top", create_top())
            engine.manager.add_elems("train", create_train_tab(engine))
        yield engine


def board_arguments(engine: Any, preset: dict[str, Any]) -> dict[str, Any]:
    """What *Start* would pass to ``llamafactory-cli train`` after *Load arguments* of ``preset``."""
    from llamafactory.webui.common import _clean_cmd

    manager = engine.manager
    form = {element: getattr(element, "value", None) for element in manager.get_elem_list()}
    form[manager.get_elem_by_id("top.lang")] = "en"
    for element_id, value in preset.items():
        form[manager.get_elem_by_id(element_id)] = value
    return _clean_cmd(engine.runner._parse_train_args(form))  # the board drops None/False before running


def parsed(arguments: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Every field of LLaMA-Factory's five argument dataclasses after its own parser."""
    from llamafactory.hparams.parser import _parse_train_args

    arguments = dict(arguments, use_cpu=True)  # bf16 on a machine without a GPU is refused unless use_cpu
    arguments.pop("deepspeed", None)  # a GPU-machine install; compared as text below
    return {
        (type(group).__name__, field.name): getattr(group, field.name)
        for group in _parse_train_args(arguments)
        for field in dataclasses.fields(group)
    }


def dataset_rows() -> int:
    info = json.loads((DATASETS_DIR / "dataset_info.json").read_text(encoding="utf-8"))
    return max(sum(1 for _ in (DATASETS_DIR / entry["file_name"]).open()) for entry in info.values())


@pytest.mark.parametrize("name", TRAINING_RECIPES)
def test_preset_trains_what_its_recipe_says(
    name: str, presets: dict[str, str], engine: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    recipe = yaml.safe_load((RECIPES_DIR / name).read_text(encoding="utf-8"))
    preset = yaml.safe_load(presets[name])
    monkeypatch.chdir(tmp_path)  # the board reads llamaboard_cache/user_config.yaml where it runs
    board = board_arguments(engine, preset)
    assert board.get("deepspeed") == recipe.get("deepspeed")
    from_recipe, from_board = parsed(recipe), parsed(board)
    differences = {
        key: (from_recipe[key], from_board[key]) for key in from_recipe if from_recipe[key] != from_board[key]
    }

    # What the board adds on its own, harmless for our data (the README says so):
    assert differences.pop(("TrainingArguments", "include_num_input_tokens_seen"), None) == ("no", "all")  # logs
    if "max_samples" not in recipe:  # its Max samples field always says a number: more rows than we have
        assert differences.pop(("DataArguments", "max_samples")) == (None, 100000) and dataset_rows() < 100000
    if "packing" not in recipe and not recipe.get("neat_packing"):  # None: pack only for pre-training
        assert differences.pop(("DataArguments", "packing")) == (None, False)
    assert differences == {}


def test_preset_from_an_inline_recipe() -> None:
    recipe = {
        "model_name_or_path": "Qwen/Qwen2.5-7B-Instruct",
        "trust_remote_code": False,
        "quantization_bit": 4,
        "quantization_method": "bnb",
        "double_quantization": True,
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "lora",
        "lora_rank": 16,
        "dataset_dir": "datasets",
        "dataset": "a_train,b_train",
        "template": "qwen",
        "cutoff_len": 3072,
        "neat_packing": True,
        "learning_rate": 2.0e-4,
        "num_train_epochs": 3.0,
        "warmup_steps": 0.1,
        "bf16": True,
        "resume_from_checkpoint": None,
        "eval_dataset": "a_test,b_test",
    }
    assert board_preset(recipe) == {
        "top.model_name": "Qwen2.5-7B-Instruct",
        "top.model_path": "Qwen/Qwen2.5-7B-Instruct",
        "top.quantization_method": "bnb",
        "top.finetuning_type": "lora",
        "top.template": "qwen",
        "top.quantization_bit": "4",
        "train.lora_rank": 16,
        "train.dataset_dir": "datasets",
        "train.cutoff_len": 3072,
        "train.neat_packing": True,
        "train.learning_rate": "2e-4",
        "train.num_train_epochs": "3.0",
        "train.warmup_steps": 0.1,
        "train.training_stage": "Supervised Fine-Tuning",
        "train.dataset": ["a_train", "b_train"],
        "train.compute_type": "bf16",
        "train.packing": True,
        "train.extra_args": '{"trust_remote_code": false, "eval_dataset": "a_test,b_test"}',
    }


def test_a_model_the_board_does_not_list_is_named_after_its_id() -> None:
    preset = board_preset({"model_name_or_path": "microsoft/phi-2", "stage": "sft", "dataset": "a"})
    assert preset["top.model_name"] == "phi-2" and preset["top.model_path"] == "microsoft/phi-2"


def test_board_presets_only_writes_changed_presets_and_keeps_the_users_own(
    presets: dict[str, str], tmp_path: Path, capsys: Any
) -> None:
    root = project_copy(tmp_path)
    folder = root / "llamaboard_config"
    folder.mkdir()
    users_own = folder / "2026-01-01-10-00-00.yaml"  # what the board's "Save arguments" writes
    users_own.write_text("top.model_name: Custom\n", encoding="utf-8")
    ours_gone = folder / "old_recipe.yaml"
    ours_gone.write_text(BANNER.format(recipe="old_recipe.yaml") + "\n", encoding="utf-8")
    try:
        assert main(["--root", str(root), "board", "--presets-only"]) == 0
        written = {path.name: path.stat().st_mtime_ns for path in folder.glob("*.yaml")}
        assert set(written) == set(presets) | {users_own.name}
        for path, content in planned_presets(root).items():
            assert path.read_text(encoding="utf-8") == content
        assert f"{len(presets)} presets in {folder}; {len(presets) + 1} written or removed" in capsys.readouterr().out
        assert main(["--root", str(root), "board", "--presets-only"]) == 0  # nothing changed: nothing written
        assert f"{len(presets)} presets in {folder}; 0 written or removed" in capsys.readouterr().out
        assert {path.name: path.stat().st_mtime_ns for path in folder.glob("*.yaml")} == written
    finally:
        project.use_root(None)
    assert users_own.read_text(encoding="utf-8") == "top.model_name: Custom\n"
