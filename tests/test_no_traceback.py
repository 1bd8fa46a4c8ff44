"""The real command line on one bad input of each class: exit 1, ``file:line: field: message`` on stderr,
never a Python traceback (the in-process tables cover the many members of each class)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import DATA_DIR, DATASETS_DIR

PROBLEM_LINE = re.compile(r"^\S.*:\d+: [^:]+: .+$", re.MULTILINE)


def test_bad_inputs_on_the_command_line_never_print_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(DATA_DIR, root / "data")
    shutil.copytree(DATASETS_DIR, root / "datasets")
    exports = root / "data" / "exports"
    text = (exports / "regulation_qa.csv").read_bytes().decode("utf-8-sig")
    cut = text.index('"', text.index("reg-")) + 40  # inside the first quoted cell of the first row
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "regulation_qa.csv").write_text(text[:cut] + '"deudores"' + text[cut:], encoding="utf-8")
    (tmp_path / "nan.jsonl").write_text('{"messages": [], "metadata": {"id": NaN}}\n', encoding="utf-8")
    (tmp_path / "a-file").write_text("{}", encoding="utf-8")
    cases = [
        ["import-csv", str(tmp_path / "stray" / "regulation_qa.csv")],
        ["import-csv", str(tmp_path / "missing" / "regulation_qa.csv")],
        ["validate", "--no-domain", str(tmp_path / "nan.jsonl")],
        ["register", "--dataset-dir", str(tmp_path / "a-file")],
        [
            "eval",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
            "--out",
            str(tmp_path / "e"),
            "--datasets",
            "x",
        ],
        ["serve", "--model-path", str(tmp_path), "--template", "qwen", "--host", "0.0.0.0", "--print"],
    ]
    environment = {**os.environ, "REGLLM_ROOT": str(root)}
    for argv in cases:
        result = subprocess.run(
            [sys.executable, "-m", "regllm_lf", *argv], capture_output=True, text=True, env=environment, check=False
        )
        assert result.returncode == 1, (argv, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout, (argv, result.stderr)
        if argv[0] != "serve":
            assert PROBLEM_LINE.search(result.stderr), (argv, result.stderr)
