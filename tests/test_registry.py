"""``register``: foreign entries byte-identical, corrupt file untouched, idempotent, safe under concurrency."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from helpers import DATASETS_DIR

from regllm_lf.cli import main
from regllm_lf.prepare.build import dataset_entries
from regllm_lf.prepare.dataset_info import SHAREGPT_TAGS, RegistryError, register_entries, sharegpt_entry

# The shape of a LLaMA-Factory checkout's data/dataset_info.json (2-space indent, nested columns).
FOREIGN = """{
  "identity": {
    "file_name": "identity.json"
  },
  "alpaca_en_demo": {
    "file_name": "alpaca_en_demo.json"
  },
  "glaive_toolcall_en_demo": {
    "file_name": "glaive_toolcall_en_demo.json",
    "formatting": "sharegpt",
    "columns": {
      "messages": "conversations",
      "tools": "tools"
    }
  },
  "mllm_demo":   {"file_name": "mllm_demo.json", "formatting": "sharegpt",
     "columns": {"messages": "messages", "images": "images"},
     "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}}
}
"""


def foreign_spans(text: str) -> list[str]:
    """The exact text of each foreign entry (value of every key not starting with regllm_)."""
    from regllm_lf.prepare.dataset_info import _top_level_members

    members, _ = _top_level_members(text)
    return [text[m.value_start : m.value_end] for m in members if not m.key.startswith("regllm_")]


def test_fresh_file_has_our_entries_with_tags(tmp_path: Path) -> None:
    path = register_entries(tmp_path, dataset_entries(tmp_path))
    info = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(info) == sorted(dataset_entries(tmp_path))
    for entry in info.values():
        assert entry["formatting"] == "sharegpt"
        if entry.get("ranking"):
            assert entry["columns"] == {"messages": "messages", "chosen": "chosen", "rejected": "rejected"}
        else:
            assert entry["columns"] == {"messages": "messages"}
        assert entry["tags"] == SHAREGPT_TAGS
        assert (tmp_path / entry["file_name"]).resolve().is_file()


def test_merge_keeps_foreign_entries_byte_identical_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "dataset_info.json"
    path.write_text(FOREIGN, encoding="utf-8")
    register_entries(tmp_path, dataset_entries(tmp_path))
    once = path.read_text(encoding="utf-8")
    assert foreign_spans(once) == foreign_spans(FOREIGN)
    assert once.startswith(FOREIGN.rstrip()[:-1].rstrip())  # foreign text untouched, ours appended
    register_entries(tmp_path, dataset_entries(tmp_path))
    assert path.read_text(encoding="utf-8") == once


def test_our_entries_are_replaced_in_place(tmp_path: Path) -> None:
    path = tmp_path / "dataset_info.json"
    path.write_text(FOREIGN, encoding="utf-8")
    register_entries(tmp_path, {"regllm_x": sharegpt_entry("old.jsonl")})
    register_entries(tmp_path, {"regllm_x": sharegpt_entry("new.jsonl")})
    info = json.loads(path.read_text(encoding="utf-8"))
    assert info["regllm_x"]["file_name"] == "new.jsonl"
    assert list(info).count("regllm_x") == 1
    assert foreign_spans(path.read_text(encoding="utf-8")) == foreign_spans(FOREIGN)


def test_file_names_resolve_from_another_dataset_dir(tmp_path: Path) -> None:
    elsewhere = tmp_path / "LLaMA-Factory" / "data"
    assert main(["register", "--dataset-dir", str(elsewhere)]) == 1  # a typo must not create a tree
    assert not (tmp_path / "LLaMA-Factory").exists()
    assert main(["register", "--dataset-dir", str(elsewhere), "--create"]) == 0
    info = json.loads((elsewhere / "dataset_info.json").read_text(encoding="utf-8"))
    for name in dataset_entries():
        assert (elsewhere / info[name]["file_name"]).resolve() == (DATASETS_DIR / f"{name}.jsonl").resolve()


@pytest.mark.parametrize("content", ['{"identity": {"file_name": "identity.json"},\n', "[1, 2]", '{"a": 3}', "\xff"])
def test_corrupt_file_is_left_untouched(tmp_path: Path, content: str) -> None:
    path = tmp_path / "dataset_info.json"
    raw = content.encode("latin-1") if content == "\xff" else content.encode("utf-8")
    path.write_bytes(raw)
    with pytest.raises(RegistryError, match="dataset_info.json"):
        register_entries(tmp_path, {"regllm_x": sharegpt_entry("x.jsonl")})
    assert path.read_bytes() == raw
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_cli_reports_corrupt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dataset_info.json").write_text('{"broken": ', encoding="utf-8")
    assert main(["register", "--dataset-dir", str(tmp_path)]) == 1
    assert "dataset_info.json:1: json: Expecting value" in capsys.readouterr().err


def test_entry_names_must_be_prefixed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="regllm_"):
        register_entries(tmp_path, {"mine": sharegpt_entry("x.jsonl")})


def _register_many(dataset_dir: str, prefix: str, rounds: int) -> None:
    for number in range(rounds):
        register_entries(Path(dataset_dir), {f"regllm_{prefix}_{number}": sharegpt_entry(f"{prefix}.jsonl")})


def test_concurrent_registers_keep_both_sets(tmp_path: Path) -> None:
    (tmp_path / "dataset_info.json").write_text(FOREIGN, encoding="utf-8")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_register_many, args=(str(tmp_path), name, 15)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    text = (tmp_path / "dataset_info.json").read_text(encoding="utf-8")
    info = json.loads(text)
    assert {f"regllm_{p}_{n}" for p in "ab" for n in range(15)} <= set(info)
    assert foreign_spans(text) == foreign_spans(FOREIGN)
