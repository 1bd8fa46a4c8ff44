"""Paths of this checkout for the tests (the package itself resolves them through regllm_lf.project)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DATASETS_DIR = REPO_ROOT / "datasets"
RECIPES_DIR = REPO_ROOT / "recipes"
