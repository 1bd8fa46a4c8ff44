"""Provenance of every run: ``regllm_manifest.json`` in each training output dir and each eval folder.

A manifest names the package versions, the recipe (training) or endpoint (eval), the sha256 of every
dataset file used, the chat template, the sampling parameters and the seed, so that a number in a
report can be traced to exactly what produced it. ``eval-compare`` refuses two eval folders whose test
sets differ (another file content, or other questions asked).
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.jsonio import write_atomic

MANIFEST_FILE = "regllm_manifest.json"
PACKAGES = (
    "regllm-lf",
    "llamafactory",
    "transformers",
    "torch",
    "peft",
    "trl",
    "datasets",
    "accelerate",
    "bitsandbytes",
    "deepspeed",
    "vllm",
    "openai",
    "lm-eval",
    "numpy",
)
# LLaMA-Factory's GeneratingArguments: the sampling keys a recipe may set.
SAMPLING_KEYS = ("do_sample", "temperature", "top_p", "top_k", "num_beams", "max_new_tokens", "repetition_penalty")
TRANSFORMERS_DEFAULT_SEED = 42  # TrainingArguments.seed when a recipe sets none


class ManifestError(Exception):
    """Runs that cannot be compared, or a run folder whose manifest contradicts what is asked of it."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def file_entry(path: Path) -> dict[str, Any]:
    return {"file": project.relative_to_root(path), "sha256": sha256_file(path)}


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST_FILE
    write_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


# ----------------------------------------------------------------------------------------------- training


def dataset_files(names: list[str], dataset_dir: Path) -> dict[str, dict[str, Any]]:
    """LLaMA-Factory dataset names → their files (through ``dataset_info.json``) with sha256."""
    info = json.loads((dataset_dir / "dataset_info.json").read_text(encoding="utf-8"))
    files = {}
    for name in names:
        if name not in info:
            raise ManifestError(f"{dataset_dir / 'dataset_info.json'}: {name}: dataset not registered")
        path = (dataset_dir / info[name]["file_name"]).resolve()
        files[name] = file_entry(path) if path.is_file() else {"file": str(path), "sha256": None}
    return files


def _override_value(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def training_config(recipe: Path, overrides: dict[str, str]) -> dict[str, Any]:
    """The recipe as LLaMA-Factory will see it: the YAML with the ``key=value`` overrides applied."""
    import yaml

    config = yaml.safe_load(recipe.read_text(encoding="utf-8")) or {}
    config.update({key: _override_value(value) for key, value in overrides.items()})
    return config


def training_manifest(recipe: Path, overrides: dict[str, str], argv: list[str]) -> dict[str, Any]:
    config = training_config(recipe, overrides)
    dataset_dir = project.root() / str(config.get("dataset_dir", "data"))

    def names(key: str) -> list[str]:
        value = config.get(key) or ""
        return [item.strip() for item in str(value).split(",") if item.strip()]

    return {
        "kind": "train",
        "command": argv,
        "recipe": {"file": project.relative_to_root(recipe), "sha256": sha256_file(recipe), "config": config},
        "datasets": dataset_files(names("dataset"), dataset_dir),
        "eval_datasets": dataset_files(names("eval_dataset"), dataset_dir),
        "dataset_info": file_entry(dataset_dir / "dataset_info.json"),
        "template": config.get("template"),
        "sampling": {key: config[key] for key in SAMPLING_KEYS if key in config},
        "seed": config.get("seed", TRANSFORMERS_DEFAULT_SEED),
        "packages": package_versions(),
    }


def write_training_manifest(recipe: Path, overrides: dict[str, str], argv: list[str]) -> Path:
    """Write the manifest into the run's ``output_dir`` (relative to the project root, as LLaMA-Factory runs)."""
    manifest = training_manifest(recipe, overrides, argv)
    output_dir = project.root() / str(manifest["recipe"]["config"]["output_dir"])
    return write_manifest(output_dir, manifest)


# ----------------------------------------------------------------------------------------------- eval


def test_set(questions_by_task: dict[str, tuple[Path, list[str]]]) -> dict[str, dict[str, Any]]:
    """Per task: its split file with sha256 and the ids of the questions asked."""
    return {
        task: {**file_entry(path), "question_ids": sorted(ids)}
        for task, (path, ids) in sorted(questions_by_task.items())
    }


def extend_test_set(recorded: dict[str, Any], current: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The test set of a folder asked ``current`` after ``recorded`` (a resumed or widened run).

    ManifestError when a task's test file changed in between: its earlier answers are to other questions."""
    changed = [task for task in set(recorded) & set(current) if recorded[task]["sha256"] != current[task]["sha256"]]
    if changed:
        raise ManifestError(
            f"{folder} holds answers to another version of the test set ({', '.join(sorted(changed))}: test file "
            "changed since): use a new --out"
        )
    merged = {**recorded, **current}
    for task in set(recorded) & set(current):
        merged[task]["question_ids"] = sorted({*recorded[task]["question_ids"], *current[task]["question_ids"]})
    return dict(sorted(merged.items()))


def test_set_differences(base: dict[str, Any], tuned: dict[str, Any]) -> list[str]:
    """Why two eval manifests are not over the same test set ([] when they are)."""
    first, second = base.get("test_set", {}), tuned.get("test_set", {})
    reasons = [f"{task}: evaluated in only one run" for task in sorted(set(first) ^ set(second))]
    for task in sorted(set(first) & set(second)):
        for key, label in (("sha256", "test file content"), ("question_ids", "questions asked")):
            if first[task].get(key) != second[task].get(key):
                reasons.append(f"{task}: different {label}")
    return reasons


def check_comparable(base_dir: Path, tuned_dir: Path) -> None:
    """ManifestError unless both folders have manifests over the same test set."""
    manifests = {folder: read_manifest(folder) for folder in (base_dir, tuned_dir)}
    missing = [str(folder) for folder, manifest in manifests.items() if manifest is None]
    if missing:
        raise ManifestError(
            f"no {MANIFEST_FILE} in {', '.join(missing)}: re-run the same `regllm-lf eval` command there "
            "(answers already given are kept) so that the test set it used is recorded"
        )
    reasons = test_set_differences(manifests[base_dir], manifests[tuned_dir])
    if reasons:
        raise ManifestError(f"{base_dir} and {tuned_dir} were evaluated on different test sets: " + "; ".join(reasons))
