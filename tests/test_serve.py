"""Serving commands: the right vllm serve line, LoRA rank and template for adapters, secrets kept out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regllm_lf.cli import main
from regllm_lf.demo.tiny_models import FAMILIES, train_tokenizer
from regllm_lf.serve.merge import llamafactory_template
from regllm_lf.serve.server import ADAPTER_TEMPLATE_FILE, llamafactory_api_command, vllm_command, vllm_lora_rank
from regllm_lf.serve.vllm_env import STAMP_FILE, VENV_VARIABLE


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    train_tokenizer(tmp_path, FAMILIES["qwen2"].special)
    (tmp_path / "adapter_config.json").write_text(
        json.dumps({"r": 24, "base_model_name_or_path": "Qwen/Qwen2.5-7B-Instruct"})
    )
    return tmp_path


def test_merged_dir_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VENV_VARIABLE, str(tmp_path / "no-venv"))
    command = vllm_command(str(tmp_path), tensor_parallel_size=4, port=8011, device="gpu")
    assert command.argv[:3] == ["vllm", "serve", str(tmp_path)]
    assert "--tensor-parallel-size" in command.argv and command.argv[command.argv.index("--port") + 1] == "8011"
    assert "--enable-lora" not in command.argv and "--enforce-eager" not in command.argv
    assert "--enforce-eager" in vllm_command(str(tmp_path), device="cpu").argv


def test_vllm_comes_from_the_serving_venv_once_set_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = tmp_path / ".venv-vllm"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "vllm").write_text("#!/bin/sh\n")
    monkeypatch.setenv(VENV_VARIABLE, str(venv))
    assert vllm_command("merged").argv[0] == "vllm"  # no stamp: the setup script has not finished
    (venv / STAMP_FILE).write_text("stamp\n")
    assert vllm_command("merged").argv[0] == str(venv / "bin" / "vllm")


def test_adapter_command_uses_rank_and_training_template(adapter: Path) -> None:
    command = vllm_command("Qwen/Qwen2.5-7B-Instruct", adapter, "qwen")
    argv = command.argv
    assert "--enable-lora" in argv and argv[argv.index("--lora-modules") + 1] == f"regllm={adapter}"
    assert argv[argv.index("--max-lora-rank") + 1] == "32"  # rank 24 -> the next rank vLLM accepts
    template_file = Path(argv[argv.index("--chat-template") + 1])
    assert template_file == adapter / ADAPTER_TEMPLATE_FILE
    from transformers import AutoTokenizer

    expected = llamafactory_template(AutoTokenizer.from_pretrained(adapter), "qwen")._get_jinja_template(
        AutoTokenizer.from_pretrained(adapter)
    )
    assert template_file.read_text(encoding="utf-8") == expected


def test_lora_rank_rounding(adapter: Path) -> None:
    for rank, expected in ((8, 8), (16, 16), (17, 32), (64, 64)):
        (adapter / "adapter_config.json").write_text(json.dumps({"r": rank}))
        assert vllm_lora_rank(adapter) == expected


def test_api_key_comes_from_the_environment_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGLLM_TEST_KEY", "s3cr3t-value")
    for command in (
        vllm_command(str(tmp_path), api_key_env="REGLLM_TEST_KEY"),
        llamafactory_api_command(str(tmp_path), "qwen", api_key_env="REGLLM_TEST_KEY"),
    ):
        assert "s3cr3t-value" not in " ".join(command.argv) and "s3cr3t-value" not in command.shown()
        assert "$REGLLM_TEST_KEY" in command.shown()
        child = command.child_environment()
        assert "s3cr3t-value" in (child.get("VLLM_API_KEY"), child.get("API_KEY"))
    assert main(["serve", "--model-path", str(tmp_path), "--print", "--api-key-env", "REGLLM_TEST_KEY"]) == 0
    assert "s3cr3t-value" not in capsys.readouterr().out
    assert not any("s3cr3t-value" in p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
    monkeypatch.delenv("REGLLM_TEST_KEY")
    with pytest.raises(KeyError, match="REGLLM_TEST_KEY"):
        vllm_command(str(tmp_path), api_key_env="REGLLM_TEST_KEY").child_environment()


def test_train_command_passes_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "train",
                "--model",
                "gemma-2b",
                "--qlora",
                "--epochs",
                "2",
                "--batch-size",
                "4",
                "--lr",
                "3e-4",
                "--small-subset",
                "--print",
                "logging_steps=1",
            ]
        )
        == 0
    )
    line = capsys.readouterr().out.strip()
    assert line.startswith("llamafactory-cli train recipes/gemma2b_qlora.yaml ")
    for part in (
        "num_train_epochs=2.0",
        "per_device_train_batch_size=4",
        "learning_rate=0.0003",
        "max_samples=40",
        "logging_steps=1",
        "output_dir=saves/gemma2b/qlora/quick",
    ):
        assert part in line.split()


def test_train_help_lists_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for key in ("qwen2.5-7b", "qwen2.5-3b", "phi-3-mini", "stablelm-3b", "phi-2", "gemma-2b", "qwen-1.8b"):
        assert key in text


def test_train_with_a_data_file_validates_and_registers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import regllm_lf.train.launch as training

    registered: dict = {}
    monkeypatch.setattr(training, "register_entries", lambda directory, entries: registered.update(entries))
    rows = tmp_path / "mis_datos.jsonl"
    row = {
        "messages": [{"role": "user", "content": "¿PD?"}, {"role": "assistant", "content": "Probabilidad."}],
        "metadata": {"id": "mio-1", "dataset": "banking_qa", "topic": "dato_puntual", "facts": [], "sources": []},
    }
    rows.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["train", "--data", str(rows), "--print"]) == 0
    assert "dataset=regllm_custom_mis_datos" in capsys.readouterr().out
    assert registered["regllm_custom_mis_datos"]["file_name"].endswith("mis_datos.jsonl")
    rows.write_text(json.dumps({"messages": [{"role": "user", "content": "x"}]}) + "\n", encoding="utf-8")
    assert main(["train", "--data", str(rows), "--print"]) == 1
    assert "mis_datos.jsonl:1: messages: " in capsys.readouterr().err
