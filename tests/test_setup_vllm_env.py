"""scripts/setup_vllm_env.sh: refuses bad input before touching anything, and a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from regllm_lf.serve.vllm_env import STAMP_FILE

SCRIPT = REPO_ROOT / "scripts" / "setup_vllm_env.sh"


def run_setup(**environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPT)], env={**os.environ, **environment}, capture_output=True, text=True, timeout=600
    )


def test_an_unknown_flavour_is_refused() -> None:
    result = run_setup(REGLLM_VLLM_FLAVOR="tpu", REGLLM_VLLM_VENV="/nonexistent/venv")
    assert result.returncode == 2 and "REGLLM_VLLM_FLAVOR must be auto, cpu or gpu (got tpu)" in result.stdout


def test_a_folder_that_is_not_a_venv_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "notas.txt").write_text("mío\n")
    result = run_setup(REGLLM_VLLM_FLAVOR="cpu", REGLLM_VLLM_VENV=str(tmp_path))
    assert result.returncode == 2 and "is not a virtual environment" in result.stdout
    assert (tmp_path / "notas.txt").read_text() == "mío\n"


def test_the_stamp_file_is_the_one_the_package_looks_for() -> None:
    assert f"MARKER=$VENV/{STAMP_FILE}" in SCRIPT.read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_second_run_is_a_no_op(vllm_installed: Path) -> None:
    venv = vllm_installed.parent.parent
    stamp = (venv / STAMP_FILE).read_text()
    before = (venv / "pyvenv.cfg").stat().st_mtime_ns
    result = run_setup(REGLLM_VLLM_VENV=str(venv))
    assert result.returncode == 0 and "up to date" in result.stdout, result.stdout + result.stderr
    assert (venv / STAMP_FILE).read_text() == stamp and (venv / "pyvenv.cfg").stat().st_mtime_ns == before
