"""Manifests: written by `regllm-lf train` and `regllm-lf eval`, and checked by `eval-compare` and resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATASETS_DIR, RECIPES_DIR, FakeEndpoint

from regllm_lf.cli import main
from regllm_lf.evaluation.manifest import MANIFEST_FILE, ManifestError, check_comparable, sha256_file
from regllm_lf.evaluation.runner import Runner, load_questions


def _eval(url: str, out: Path, *extra: str) -> int:
    return main(["eval", "--base-url", url, "--model", out.name, "--out", str(out), "--no-progress", *extra])


def _gold() -> dict[str, str]:
    return {q.messages[-1]["content"]: q.gold for q in load_questions("test")}


def test_eval_manifest_records_the_test_set(serve, tmp_path: Path) -> None:  # noqa: ANN001
    url = serve(FakeEndpoint(_gold()))
    assert _eval(url, tmp_path / "run", "--datasets", "regulation", "--seed", "5", "--max-tokens", "64") == 0
    manifest = json.loads((tmp_path / "run" / MANIFEST_FILE).read_text(encoding="utf-8"))
    entry = manifest["test_set"]["regulation"]
    assert entry["file"] == "datasets/regllm_regulation_test.jsonl"
    assert entry["sha256"] == sha256_file(DATASETS_DIR / "regllm_regulation_test.jsonl")
    assert entry["question_ids"] == sorted(q.id for q in load_questions("test", ["regulation"]))
    assert manifest["sampling"] == {"temperature": 0, "max_tokens": 64} and manifest["seed"] == 5
    assert manifest["packages"]["regllm-lf"] and manifest["packages"]["openai"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert "seed 5" in summary["citation_recall"]["interval_method"]


def test_compare_refuses_different_test_sets(serve, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    url = serve(FakeEndpoint(_gold()))
    for name, extra in (("a", ()), ("b", ()), ("limited", ("--limit", "5")), ("bank", ("--datasets", "banking_qa"))):
        assert _eval(url, tmp_path / name, *extra) == 0
    check_comparable(tmp_path / "a", tmp_path / "b")
    for other, reason in (("limited", "different questions asked"), ("bank", "evaluated in only one run")):
        assert main(["eval-compare", str(tmp_path / "a"), str(tmp_path / other)]) == 1
        assert reason in capsys.readouterr().err
        assert not (tmp_path / other / "compare.md").exists()
    manifest_path = tmp_path / "b" / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["test_set"]["banking_qa"]["sha256"] = "0" * 64  # as if b's banking test file had other content
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ManifestError, match="banking_qa: different test file content"):
        check_comparable(tmp_path / "a", tmp_path / "b")
    manifest_path.unlink()
    with pytest.raises(ManifestError, match="no regllm_manifest.json"):
        check_comparable(tmp_path / "a", tmp_path / "b")


def test_resume_refuses_a_changed_test_file(serve, tmp_path: Path) -> None:  # noqa: ANN001
    url = serve(FakeEndpoint(_gold()))
    questions = load_questions("test", ["regulation"])
    Runner(url, "m", tmp_path).run(questions[:3], progress=False)
    manifest_path = tmp_path / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["test_set"]["regulation"]["sha256"] = "f" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ManifestError, match="another version of the test set"):
        Runner(url, "m", tmp_path).run(questions, progress=False)


def test_answers_without_a_manifest_must_match_the_questions(serve, tmp_path: Path) -> None:  # noqa: ANN001
    url = serve(FakeEndpoint(_gold()))
    questions = load_questions("test", ["regulation"])
    Runner(url, "m", tmp_path).run(questions[:2], progress=False)
    (tmp_path / MANIFEST_FILE).unlink()  # a folder from before manifests existed
    Runner(url, "m", tmp_path).run(questions[:3], progress=False)  # same questions: accepted, manifest written
    assert (tmp_path / MANIFEST_FILE).is_file()
    (tmp_path / MANIFEST_FILE).unlink()
    lines = (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["gold"] = "otra respuesta"
    (tmp_path / "results.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="not in this test set"):
        Runner(url, "m", tmp_path).run(questions, progress=False)


def test_train_writes_a_manifest_into_the_output_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[list[str]] = []
    monkeypatch.setattr("subprocess.call", lambda argv, cwd=None: launched.append(argv) or 0)
    output_dir = tmp_path / "sft"
    assert main(["train", "--model", "qwen2.5-3b", "--epochs", "2", "--output-dir", str(output_dir), "seed=7"]) == 0
    assert launched and launched[0][1:3] == ["train", "recipes/qwen3b_lora.yaml"]
    manifest = json.loads((output_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["recipe"]["file"] == "recipes/qwen3b_lora.yaml"
    assert manifest["recipe"]["sha256"] == sha256_file(RECIPES_DIR / "qwen3b_lora.yaml")
    assert manifest["recipe"]["config"]["num_train_epochs"] == 2.0 and manifest["seed"] == 7
    assert manifest["template"] == "qwen" and manifest["sampling"] == {}
    for name in ("regllm_sql_review_train", "regllm_banking_qa_train", "regllm_regulation_train"):
        entry = manifest["datasets"][name]
        assert entry["sha256"] == sha256_file(DATASETS_DIR / f"{name}.jsonl"), name
    assert set(manifest["eval_datasets"]) == {
        "regllm_sql_review_test",
        "regllm_banking_qa_test",
        "regllm_regulation_test",
    }
    assert manifest["packages"]["llamafactory"] == "0.9.5"


def test_train_print_writes_nothing(tmp_path: Path) -> None:
    assert main(["train", "--output-dir", str(tmp_path / "x"), "--print"]) == 0
    assert not (tmp_path / "x").exists()


def test_eval_links_the_training_run(serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("subprocess.call", lambda argv, cwd=None: 0)
    train_dir = tmp_path / "sft"
    assert main(["train", "--model", "phi-3-mini", "--output-dir", str(train_dir)]) == 0
    url = serve(FakeEndpoint(_gold()))
    assert _eval(url, tmp_path / "run", "--datasets", "regulation", "--train-dir", str(train_dir)) == 0
    manifest = json.loads((tmp_path / "run" / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["template"] == "phi" and manifest["trained_with"]["recipe"]["file"] == "recipes/phi3mini_lora.yaml"
    assert _eval(url, tmp_path / "other", "--train-dir", str(tmp_path / "nowhere")) == 1
    assert not (tmp_path / "other" / "results.jsonl").exists()
