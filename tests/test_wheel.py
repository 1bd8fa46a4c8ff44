"""The package works installed from a wheel, outside any checkout: data comes from --root, every YAML/JSON
it reads is package data, and ``python -m regllm_lf`` works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from regllm_lf.core.jsonio import read_records
from regllm_lf.tasks.registry import source_files


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, installed into a fresh target folder (dependencies from the venv)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work),
            str(REPO_ROOT),
        ],
        check=True,
    )
    wheel = next(work.glob("regllm_lf-*.whl"))
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    return target


def _run(installed: Path, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    # The target folder first: the checkout's editable install must not be the one imported.
    environment = {**os.environ, "PYTHONPATH": str(installed)}
    environment.pop("REGLLM_ROOT", None)
    return subprocess.run(
        [sys.executable, "-m", "regllm_lf", *arguments], cwd=cwd, env=environment, capture_output=True, text=True
    )


def test_wheel_help_and_validate_from_elsewhere(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = _run(installed, elsewhere, "--help")
    assert probe.returncode == 0 and "validate" in probe.stdout, probe.stderr
    where = subprocess.run(
        [sys.executable, "-c", "import regllm_lf; print(regllm_lf.__file__)"],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(installed)), where.stdout
    checked = _run(installed, elsewhere, "--root", str(REPO_ROOT), "validate")
    assert checked.returncode == 0, checked.stderr
    monkeypatch.setenv("REGLLM_ROOT", str(REPO_ROOT))
    shipped = sum(len(read_records(path, [])) for path in source_files())
    assert f"OK: {shipped} rows" in checked.stdout


def test_wheel_without_root_says_where_it_looked(installed: Path, tmp_path: Path) -> None:
    result = _run(installed, tmp_path, "validate")
    assert result.returncode == 1
    assert "no regllm-lf project found" in result.stderr and "--root" in result.stderr
    assert "Traceback" not in result.stderr
