"""`regllm-lf export-lm-eval`: lm-evaluation-harness loads our tasks, builds our prompts, and scores exactly
as `regllm-lf eval` does (the parity test runs lm_eval itself against a local fake endpoint)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FakeEndpoint

from regllm_lf.cli import main
from regllm_lf.evaluation.lm_eval_export import GROUP, task_name
from regllm_lf.evaluation.runner import load_questions
from regllm_lf.evaluation.scoring import Scorer
from regllm_lf.tasks.registry import all_tasks


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lm-eval-tasks")
    assert main(["export-lm-eval", str(folder)]) == 0
    return folder


def test_lm_eval_loads_our_tasks_with_our_prompts_and_metrics(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lm_eval.tasks import TaskManager

    from regllm_lf import project

    monkeypatch.setattr(project, "_explicit_root", None)  # utils.py pins the export's root: undone after the test

    manager = TaskManager(include_path=str(exported), include_defaults=False)
    loaded = manager.load([GROUP])
    assert set(loaded["tasks"]) == {task_name(task) for task in all_tasks()}
    scorer = Scorer()
    for task in all_tasks():
        harness_task = loaded["tasks"][task_name(task)]
        docs = list(harness_task.test_docs())
        questions = load_questions("test", [task.name])
        assert [doc["id"] for doc in docs] == [q.id for q in questions]
        assert harness_task.higher_is_better() == {m.name: m.higher_is_better for m in task.metrics}
        for doc, question in zip(docs, questions, strict=True):
            messages = harness_task.fewshot_context(
                doc, 0, apply_chat_template=True, chat_template=lambda m, add_generation_prompt=True: m
            )
            assert messages == question.messages  # our system prompt and question, nothing added
            wrong = "No lo sé."
            expected = {m.name: scorer.score(question.metadata, wrong).get(m.name) for m in task.metrics}
            assert harness_task.process_results(doc, [wrong]) == expected


def test_export_records_the_files_it_copied(exported: Path) -> None:
    from regllm_lf.evaluation.manifest import sha256_file

    record = json.loads((exported / "regllm_export.json").read_text(encoding="utf-8"))
    for task in all_tasks():
        entry = record["tasks"][task.name]
        assert (exported / entry["file"]).read_bytes() == task.split_file("test").read_bytes()
        assert entry["sha256"] == sha256_file(task.split_file("test"))


def _mixed_answers() -> dict[str, str]:
    """Gold for some questions, an honest refusal or an invented figure for others: every metric moves."""
    answers = {}
    for number, question in enumerate(load_questions("test")):
        prompt = question.messages[-1]["content"]
        answers[prompt] = (question.gold, "No lo sé.", "Fue de 845 millones EUR [CRR, art. 9999].")[number % 3]
    return answers


def _limit_reaching_out_of_coverage() -> str:
    """A --limit that takes in banking's first out-of-coverage test questions (their gold states no figure),
    so that abstention and hallucination have values too."""
    banking = [q for q in load_questions("test") if q.dataset == "banking_qa"]
    first = next(number for number, question in enumerate(banking) if not question.metadata.get("facts"))
    return str(max(25, first + 4))


@pytest.mark.slow
def test_lm_eval_scores_equal_regllm_eval(exported: Path, serve, tmp_path: Path) -> None:  # noqa: ANN001
    url = serve(FakeEndpoint(_mixed_answers()))
    limit = _limit_reaching_out_of_coverage()
    ours = tmp_path / "ours"
    assert (
        main(["eval", "--base-url", url, "--model", "fake", "--out", str(ours), "--limit", limit, "--no-progress"]) == 0
    )
    summary = json.loads((ours / "summary.json").read_text(encoding="utf-8"))
    harness_out = tmp_path / "harness"
    command = [
        sys.executable,
        "-m",
        "lm_eval",
        "--model",
        "local-chat-completions",
        "--model_args",
        f"model=fake,base_url={url}/chat/completions,num_concurrent=1,max_retries=1,tokenized_requests=False",
        "--tasks",
        ",".join(task_name(task) for task in all_tasks()),
        "--include_path",
        str(exported),
        "--apply_chat_template",
        "--limit",
        limit,
        "--output_path",
        str(harness_out),
    ]
    environment = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert run.returncode == 0, run.stderr[-3000:]
    [results_file] = harness_out.glob("*/results_*.json")
    harness = json.loads(results_file.read_text(encoding="utf-8"))
    answered = {task.name: 0 for task in all_tasks()}
    for line in (ours / "results.jsonl").read_text(encoding="utf-8").splitlines():
        answered[json.loads(line)["dataset"]] += 1
    for task in all_tasks():
        assert harness["n-samples"][task_name(task)]["effective"] == answered[task.name]
        for metric in task.metrics:
            theirs = harness["results"][task_name(task)][f"{metric.name},none"]
            mine = summary[metric.name]["value"]
            assert mine is not None, metric.name  # the answers above give every metric a value
            assert math.isclose(theirs, mine, abs_tol=1e-12), (metric.name, theirs, mine)
    assert 0 < summary["numeric_accuracy"]["value"] < 1 and 0 < summary["hallucination_rate"]["value"] < 1
