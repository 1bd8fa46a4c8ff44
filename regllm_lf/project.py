"""Finds the project root — the folder holding ``data/``, ``datasets/`` and ``recipes/`` — so that an
installed wheel works on any checkout.

Order: ``--root`` (``use_root``), then ``$REGLLM_ROOT``, then the working directory and its parents,
then the checkout an editable install points at. Nothing is resolved at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_VARIABLE = "REGLLM_ROOT"
_explicit_root: Path | None = None


class ProjectNotFound(Exception):
    """No project root: the message says where we looked and how to name one."""


def is_project_root(folder: Path) -> bool:
    return (folder / "data").is_dir() and (folder / "datasets").is_dir()


def use_root(folder: Path | str | None) -> None:
    """Pin the root (the CLI's ``--root``); None forgets it."""
    global _explicit_root
    if folder is None:
        _explicit_root = None
        return
    folder = Path(folder).expanduser().resolve()
    if not is_project_root(folder):
        raise ProjectNotFound(f"--root {folder}: not a regllm-lf project (it needs data/ and datasets/)")
    _explicit_root = folder


def root() -> Path:
    if _explicit_root is not None:
        return _explicit_root
    from_environment = os.environ.get(ROOT_VARIABLE)
    if from_environment:
        folder = Path(from_environment).expanduser().resolve()
        if not is_project_root(folder):
            raise ProjectNotFound(
                f"${ROOT_VARIABLE}={from_environment}: not a regllm-lf project (needs data/, datasets/)"
            )
        return folder
    working = Path.cwd().resolve()
    for folder in (working, *working.parents):
        if is_project_root(folder):
            return folder
    checkout = Path(__file__).resolve().parent.parent  # an editable install lives inside its checkout
    if is_project_root(checkout):
        return checkout
    raise ProjectNotFound(
        f"no regllm-lf project found from {working} upwards: run inside a checkout, pass --root DIR "
        f"or set ${ROOT_VARIABLE}"
    )


def data_dir() -> Path:
    return root() / "data"


def datasets_dir() -> Path:
    return root() / "datasets"


def recipes_dir() -> Path:
    return root() / "recipes"


def relative_to_root(path: Path | str) -> str:
    """``recipes/qwen7b_lora.yaml`` for a path inside the project, the path itself otherwise."""
    path = Path(path).resolve()
    return str(path.relative_to(root())) if path.is_relative_to(root()) else str(path)
