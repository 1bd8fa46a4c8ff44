"""A fourth dataset is one folder plus its data: validate → build → register → eval scoring, no package code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import DATA_DIR, REPO_ROOT

from regllm_lf.cli import main
from regllm_lf.core.jsonio import read_records
from regllm_lf.core.row_metadata import decode_row
from regllm_lf.evaluation.scoring import Scorer, aggregate
from regllm_lf.tasks.registry import all_tasks, source_files

FIXTURE_TASK = REPO_ROOT / "tests" / "fixtures" / "tasks" / "glossary"


@pytest.fixture
def project_with_glossary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    (tmp_path / "datasets").mkdir()
    shutil.copy(FIXTURE_TASK / "rows.jsonl", tmp_path / "data" / "finetuning" / "glossary.jsonl")
    monkeypatch.setenv("REGLLM_ROOT", str(tmp_path))
    monkeypatch.setenv("REGLLM_TASKS", str(FIXTURE_TASK))
    return tmp_path


def test_fixture_task_runs_the_whole_flow(project_with_glossary: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project_with_glossary
    assert "glossary" in [task.name for task in all_tasks()]
    assert main(["validate"]) == 0
    shipped = sum(len(read_records(path, [])) for path in source_files())  # the shipped rows + 12 glossary rows
    assert f"{shipped} rows in 4 file(s)" in capsys.readouterr().out
    assert main(["build", "--dataset-dir", str(root / "datasets"), "--no-export"]) == 0
    assert main(["register", "--dataset-dir", str(root / "datasets")]) == 0
    info = json.loads((root / "datasets" / "dataset_info.json").read_text(encoding="utf-8"))
    rows = {split: (root / "datasets" / info[f"regllm_glossary_{split}"]["file_name"]) for split in ("train", "test")}
    counts = {split: len(path.read_text(encoding="utf-8").splitlines()) for split, path in rows.items()}
    assert sum(counts.values()) == 12 and min(counts.values()) > 0
    test_rows = [decode_row(json.loads(line)) for line in rows["test"].read_text(encoding="utf-8").splitlines()]
    scorer = Scorer()
    results = [{"scores": scorer.score(row["metadata"], row["messages"][-1]["content"])} for row in test_rows]
    results.append({"scores": scorer.score(test_rows[0]["metadata"], "No lo sé.")})
    summary = aggregate(results)["term_named"]
    assert summary["dataset"] == "glossary" and summary["n"] == len(test_rows) + 1
    assert summary["value"] == pytest.approx(len(test_rows) / (len(test_rows) + 1))


def test_fixture_task_rules_apply(project_with_glossary: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = project_with_glossary / "data" / "finetuning" / "glossary.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[2])
    broken["messages"][-1]["content"] = "Una cifra sin nombre."
    missing_term = json.loads(lines[3])
    del missing_term["metadata"]["term"]
    lines[2], lines[3] = json.dumps(broken, ensure_ascii=False), json.dumps(missing_term, ensure_ascii=False)
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(source)]) == 1
    errors = capsys.readouterr().err
    assert "glossary.jsonl:3: metadata.term: the answer never names 'EAD'" in errors
    assert "glossary.jsonl:4: metadata: 'term' is a required property" in errors
