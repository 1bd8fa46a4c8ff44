"""datasets/README.md is a Hugging Face dataset card that `datasets` loads; `publish` pushes it and its files only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from helpers import DATASETS_DIR

from regllm_lf.cli import main
from regllm_lf.prepare.dataset_card import CARD_FILE, card_files
from regllm_lf.prepare.publish import publish_files


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def test_card_front_matter_declares_every_file() -> None:
    text = (DATASETS_DIR / CARD_FILE).read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["license"] and front["language"] == ["es"] and "question-answering" in front["task_categories"]
    total = sum(_lines(path) for splits in card_files().values() for path in splits.values())
    assert front["size_categories"] == ["n<1K" if total < 1_000 else "1K<n<10K" if total < 10_000 else "10K<n<100K"]
    declared = {
        config["config_name"]: {f["split"]: f["path"] for f in config["data_files"]} for config in front["configs"]
    }
    expected = {name: {split: path.name for split, path in splits.items()} for name, splits in card_files().items()}
    assert declared == expected and "regllm_banking_qa" in declared
    assert sorted(path.name for path in DATASETS_DIR.glob("*.jsonl")) == sorted(
        name for splits in declared.values() for name in splits.values()
    )


def test_card_loads_with_datasets(tmp_path: Path) -> None:
    import datasets

    for name, splits in card_files().items():
        loaded = datasets.load_dataset(str(DATASETS_DIR), name, cache_dir=str(tmp_path))
        assert {split: len(rows) for split, rows in loaded.items()} == {
            split: _lines(path) for split, path in splits.items()
        }, name
        assert "messages" in loaded["train"].column_names
    assert not (DATASETS_DIR / "__init__.py").exists()  # it would shadow the `datasets` library


class FakeHfApi:
    """Records what would be sent to the Hub."""

    calls: list[tuple[str, tuple, dict]] = []

    def __init__(self, token: str | None = None) -> None:
        FakeHfApi.calls.append(("init", (), {"token": token}))

    def create_repo(self, *args: object, **kwargs: object) -> None:
        FakeHfApi.calls.append(("create_repo", args, kwargs))

    def create_commit(self, *args: object, **kwargs: object) -> None:
        FakeHfApi.calls.append(("create_commit", args, kwargs))


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> type[FakeHfApi]:
    import huggingface_hub

    FakeHfApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHfApi)
    return FakeHfApi


def test_publish_pushes_the_card_and_its_files_only(fake_hub: type[FakeHfApi], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_HF_TOKEN", "hf_secret")
    assert main(["publish", "--repo-id", "someone/regllm", "--private", "--token-env", "MY_HF_TOKEN"]) == 0
    [(_, _, init), (_, repo_args, repo_kwargs), (_, commit_args, commit_kwargs)] = fake_hub.calls
    assert init == {"token": "hf_secret"}
    assert repo_args == ("someone/regllm",) and repo_kwargs == {
        "repo_type": "dataset",
        "private": True,
        "exist_ok": True,
    }
    repo_id, operations = commit_args
    assert repo_id == "someone/regllm" and commit_kwargs["repo_type"] == "dataset"
    pushed = [operation.path_in_repo for operation in operations]
    assert pushed == [path.name for path in publish_files()] and pushed[0] == "README.md"
    assert "dataset_info.json" not in pushed and len(pushed) == len(set(pushed)) == 8


def test_publish_refuses_stale_files_and_a_missing_token(
    fake_hub: type[FakeHfApi], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copies = []
    for path in publish_files():
        copies.append(tmp_path / path.name)
        shutil.copyfile(path, copies[-1])
    copies[2].write_text(copies[2].read_text(encoding="utf-8") + "\n", encoding="utf-8")  # an edit after the build
    monkeypatch.setattr("regllm_lf.prepare.publish.publish_files", lambda: copies)
    assert main(["publish", "--repo-id", "someone/regllm"]) == 1
    assert f"{copies[2].name}; run `regllm-lf build` first" in capsys.readouterr().err
    monkeypatch.undo()
    monkeypatch.setattr("huggingface_hub.HfApi", FakeHfApi)
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    assert main(["publish", "--repo-id", "someone/regllm", "--token-env", "NO_SUCH_TOKEN"]) == 1
    assert "NO_SUCH_TOKEN" in capsys.readouterr().err
    assert fake_hub.calls == []
