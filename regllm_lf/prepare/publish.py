"""``regllm-lf publish --repo-id USER/NAME``: push the dataset card and the data files it declares to the
Hugging Face Hub, and nothing else (not ``dataset_info.json``, which is LLaMA-Factory's).

Only when the user asks, with ``huggingface_hub``: the token comes from ``--token-env VAR``, ``$HF_TOKEN``
or ``huggingface-cli login``. Files that differ from what ``regllm-lf build`` would write are refused, so
what is published is exactly what the build and its checks produced.
"""

from __future__ import annotations

import os
from pathlib import Path

from regllm_lf import project
from regllm_lf.prepare.dataset_card import CARD_FILE, card_files


class PublishError(Exception):
    """Nothing was pushed: the message says why."""


def publish_files(dataset_dir: Path | None = None) -> list[Path]:
    """The card and every file its configs name, in that order."""
    dataset_dir = dataset_dir or project.datasets_dir()
    return [dataset_dir / CARD_FILE, *(path for splits in card_files(dataset_dir).values() for path in splits.values())]


def stale_files(files: list[Path]) -> list[Path]:
    """Files missing or different from what the build would write now."""
    from regllm_lf.prepare.build import planned_outputs

    outputs, _ = planned_outputs(files[0].parent)
    return [path for path in files if not path.is_file() or path.read_bytes() != outputs[path].encode("utf-8")]


def publish(repo_id: str, private: bool = False, token_env: str | None = None, dry_run: bool = False) -> list[Path]:
    """Push the card and its data files in one commit to the dataset repo ``repo_id``; returns the files."""
    token = os.environ.get(token_env) if token_env else None
    if token_env and not token:
        raise PublishError(f"--token-env {token_env}: the variable is not set")
    files = publish_files()
    stale = stale_files(files)
    if stale:
        names = ", ".join(project.relative_to_root(path) for path in stale)
        raise PublishError(f"not what `regllm-lf build` writes now: {names}; run `regllm-lf build` first")
    if dry_run:
        return files
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=path.name, path_or_fileobj=str(path)) for path in files]
    api.create_commit(
        repo_id,
        operations,
        commit_message="regllm-lf publish: dataset card and data files",
        repo_type="dataset",
    )
    return files
