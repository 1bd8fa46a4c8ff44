"""``register`` and ``build`` on hostile dataset dirs and dataset_info.json files: every case either does
the right thing or exits 1 with a message naming the path, writes nothing, and prints no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from regllm_lf.cli import main
from regllm_lf.core.jsonio import write_atomic, write_if_changed
from regllm_lf.prepare.build import dataset_entries

FOREIGN = '{\n  "identity": {\n    "file_name": "identity.json"\n  }\n}\n'
BOM = b"\xef\xbb\xbf"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 7: a dataset dir that is a file, a dataset_info.json that is a directory, a read-only dir or file --------


def _file_as_dataset_dir(tmp_path: Path) -> tuple[Path, str]:
    target = tmp_path / "not-a-dir.json"
    target.write_text("{}", encoding="utf-8")
    return target, "is a file, expected a directory"


def _info_is_a_directory(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "lf" / "dataset_info.json").mkdir(parents=True)
    return tmp_path / "lf", "is a directory, expected a JSON file"


def _read_only_dir(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "lf"
    folder.mkdir()
    (folder / "dataset_info.json").write_text(FOREIGN, encoding="utf-8")
    folder.chmod(0o555)
    return folder, "read-only"


def _read_only_file(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "lf"
    folder.mkdir()
    (folder / "dataset_info.json").write_text(FOREIGN, encoding="utf-8")
    (folder / "dataset_info.json").chmod(0o444)
    return folder, "read-only"


def _missing_parent(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "typo" / "LLaMA-Factory" / "data", "pass --create"


def _nan_in_file(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "lf"
    folder.mkdir()
    (folder / "dataset_info.json").write_text('{"x": {"file_name": "x.json", "weight": NaN}}', encoding="utf-8")
    return folder, "NaN is not a finite number"


HOSTILE = {
    "file as dataset dir": _file_as_dataset_dir,
    "dataset_info.json is a directory": _info_is_a_directory,
    "read-only dataset dir": _read_only_dir,
    "read-only dataset_info.json": _read_only_file,
    "missing parent (a typo)": _missing_parent,
    "NaN in dataset_info.json": _nan_in_file,
}


@pytest.mark.parametrize("command", ["register", "build"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_dataset_dirs_are_refused_before_any_write(
    case: str, command: str, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, message = HOSTILE[case](tmp_path)
    before, sources = _tree(tmp_path / "project"), _tree(target) if target.is_dir() else None
    try:
        code, _, err = run([command, "--dataset-dir", str(target)], capsys)
    finally:
        for folder in (target, *target.parents):
            if folder.exists() and folder.is_dir() and folder.is_relative_to(tmp_path):
                folder.chmod(0o755)
    assert code == 1 and message in err and str(target.name) in err
    assert _tree(tmp_path / "project") == before  # the build wrote none of its split files or exports
    if sources is not None:
        assert _tree(target) == sources
    assert not (tmp_path / "typo").exists()


# --- 9: a BOM is dropped whenever we touch the file, and validate/register warn about one they leave ----------


def test_bom_is_dropped_even_when_entries_are_current(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["register", "--dataset-dir", str(tmp_path)], capsys)[0] == 0
    path = tmp_path / "dataset_info.json"
    current = path.read_bytes()
    path.write_bytes(BOM + current)
    assert run(["register", "--dataset-dir", str(tmp_path)], capsys)[0] == 0
    assert path.read_bytes() == current


def test_bom_in_foreign_file_is_dropped_and_foreign_entries_kept(tmp_path: Path) -> None:
    path = tmp_path / "dataset_info.json"
    path.write_bytes(BOM + FOREIGN.encode("utf-8"))
    assert main(["register", "--dataset-dir", str(tmp_path)]) == 0
    text = path.read_bytes()
    assert not text.startswith(BOM) and text.startswith(FOREIGN.rstrip()[:-1].rstrip().encode("utf-8"))
    json.loads(text.decode("utf-8"))  # what LLaMA-Factory does: no "Unexpected UTF-8 BOM"


def test_validate_and_register_warn_about_a_bom_they_leave(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    board_info = project / "data" / "dataset_info.json"
    board_info.write_bytes(BOM + board_info.read_bytes())
    code, _, err = run(["validate", "--no-domain"], capsys)
    assert code == 0 and f"{board_info}: starts with a UTF-8 BOM" in err
    code, _, err = run(["register"], capsys)  # registers into datasets/, leaves data/ alone: still warned
    assert code == 0 and "Unexpected UTF-8 BOM" in err


# --- 10: a symlinked dataset_info.json: its target is updated in place; the link stays a link ----------------


def test_symlink_target_is_updated_and_link_kept(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "dataset_info.json").write_text(FOREIGN, encoding="utf-8")
    dataset_dir = tmp_path / "lf"
    dataset_dir.mkdir()
    (dataset_dir / "dataset_info.json").symlink_to(shared / "dataset_info.json")
    assert main(["register", "--dataset-dir", str(dataset_dir)]) == 0
    assert (dataset_dir / "dataset_info.json").is_symlink()
    info = json.loads((shared / "dataset_info.json").read_text(encoding="utf-8"))
    assert "identity" in info and set(dataset_entries(dataset_dir)) <= set(info)
    assert [p.name for p in shared.iterdir() if p.name.endswith(".tmp")] == []


# --- 11: a mistyped dataset dir is not created; a missing last folder under an existing parent is ----------


def test_missing_dataset_dir_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["register", "--dataset-dir", str(tmp_path / "a" / "b")], capsys)[0] == 1
    assert not (tmp_path / "a").exists()
    assert run(["register", "--dataset-dir", str(tmp_path / "new")], capsys)[0] == 0  # its parent exists
    assert run(["register", "--dataset-dir", str(tmp_path / "a" / "b"), "--create"], capsys)[0] == 0
    assert (tmp_path / "a" / "b" / "dataset_info.json").is_file()


# --- 13 and 14: build checks every target before writing, and cleans what a killed build left --------------


def test_build_with_unreadable_dataset_info_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "datasets" / "regllm_regulation_test.jsonl").unlink()  # a build would write it back
    (project / "data" / "exports" / "regulation_qa.csv").unlink()
    (project / "data" / "dataset_info.json").write_text('{"broken": ', encoding="utf-8")
    before = _tree(project)
    code, _, err = run(["build"], capsys)
    assert code == 1 and "dataset_info.json:1: json:" in err
    assert _tree(project) == before


def test_a_killed_writer_leaves_an_ignored_temp_file_the_next_write_removes(tmp_path: Path) -> None:
    target = tmp_path / "regllm_sql_review_train.jsonl"
    target.write_text("old\n", encoding="utf-8")
    killer = (
        "import os, signal, sys; from pathlib import Path; from regllm_lf.core.jsonio import write_atomic; "
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL); write_atomic(Path(sys.argv[1]), 'new')"
    )
    result = subprocess.run([sys.executable, "-c", killer, str(target)], check=False)
    assert result.returncode == -signal.SIGKILL
    [orphan] = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert target.read_text(encoding="utf-8") == "old\n"  # readers never saw half a file
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", f"datasets/{orphan.name}"], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0, "temporary files must be ignored by git"
    assert write_if_changed(target, "old\n") is False  # even a write with nothing to change cleans up
    assert not orphan.exists()
    write_atomic(target, "new\n")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_build_removes_orphans_of_the_files_it_writes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orphans = [
        project / "datasets" / ".regllm_sql_review_train.jsonl.999999999.abcd1234.tmp",
        project / "datasets" / ".dataset_info.json.999999999.abcd1234.tmp",
        project / "data" / "exports" / ".regulation_qa.csv.999999999.abcd1234.tmp",
    ]
    for orphan in orphans:
        orphan.write_text("half", encoding="utf-8")
    (project / "datasets" / "dataset_info.json").write_bytes(b"{}")  # make the build write the registry
    assert run(["build"], capsys)[0] == 0
    assert [orphan for orphan in orphans if orphan.exists()] == []


# --- 18: register says how many entries it wrote -------------------------------------------------------------


def test_register_prints_the_number_of_entries_it_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dataset_info.json").write_text(FOREIGN, encoding="utf-8")
    code, out, _ = run(["register", "--dataset-dir", str(tmp_path)], capsys)
    info = json.loads((tmp_path / "dataset_info.json").read_text(encoding="utf-8"))
    ours = [name for name in info if name.startswith("regllm_")]
    assert code == 0 and len(ours) == len(dataset_entries(tmp_path)) and f"registered {len(ours)} regllm_" in out
    assert os.path.basename(str(tmp_path / "dataset_info.json")) in out
