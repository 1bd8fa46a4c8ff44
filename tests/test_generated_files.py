"""Committed generated files (datasets/, the banking Q&A, data/exports/) rebuild byte for byte."""

from __future__ import annotations

from pathlib import Path

from helpers import DATASETS_DIR, REPO_ROOT

from regllm_lf.prepare.build import dataset_entries, planned_outputs
from regllm_lf.prepare.dataset_info import merge_entries
from regllm_lf.prepare.spreadsheet_export import export_all, exports_dir
from regllm_lf.tasks.registry import all_tasks


def _relative(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def test_banking_and_split_files_have_no_drift() -> None:
    outputs, counts = planned_outputs()
    drifted = [_relative(path) for path, content in outputs.items() if path.read_bytes() != content.encode("utf-8")]
    assert drifted == [], f"run `regllm-lf build` and commit: {drifted}"
    assert set(counts) == {dataset.name for dataset in all_tasks()} | {"dpo"}


def test_dataset_info_holds_exactly_our_entries() -> None:
    expected = merge_entries(None, dataset_entries())
    assert (DATASETS_DIR / "dataset_info.json").read_text(encoding="utf-8") == expected


def test_exports_have_no_drift(tmp_path: Path) -> None:
    for path in export_all(tmp_path):
        committed = exports_dir() / path.name
        assert committed.read_bytes() == path.read_bytes(), f"run `regllm-lf export` and commit {path.name}"


def test_csv_exports_open_with_accents_in_spreadsheets() -> None:
    for path in exports_dir().glob("*.csv"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        assert "á".encode() in raw or "é".encode() in raw or "ó".encode() in raw


def test_dataset_dir_is_not_a_python_package() -> None:
    # datasets/__init__.py would shadow the `datasets` library that LLaMA-Factory imports.
    assert not (DATASETS_DIR / "__init__.py").exists()
    import datasets

    assert hasattr(datasets, "load_dataset")


def test_board_data_dir_lists_our_datasets() -> None:
    """data/dataset_info.json lets LLaMA-Board (default Data dir `data`) see our splits with no typing."""
    from regllm_lf.prepare.build import board_data_dir

    info_path = board_data_dir() / "dataset_info.json"
    assert info_path.read_text(encoding="utf-8") == merge_entries(None, dataset_entries(board_data_dir(), DATASETS_DIR))
    import json

    for entry in json.loads(info_path.read_text(encoding="utf-8")).values():
        assert (board_data_dir() / entry["file_name"]).resolve().is_file()


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = readme.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(commands) == 2 and "quickstart" in commands[0] and "pytest" in commands[1]
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].replace("pip install -c", "pip install -q -c") in ci


def test_original_guide_scripts_still_work() -> None:
    """The seed guide's commands: validate, regenerate (no drift) and export."""
    import subprocess
    import sys

    for script, args in (
        ("dataset_utils.py", ["validate"]),
        ("generate_example_data.py", []),
        ("export_datasets.py", ["--out-dir", str(REPO_ROOT / "build" / "exports-check")]),
    ):
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / "scripts" / script), *args],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=300,
        )
        assert result.returncode == 0, (script, result.stderr[-2000:])
    test_banking_and_split_files_have_no_drift()
