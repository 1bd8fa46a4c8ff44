"""The eval runner against a local OpenAI-compatible fake: retries with backoff, bounded concurrency,
answers appended as they arrive, resume after an interruption, reports and comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FakeEndpoint

from regllm_lf.cli import main
from regllm_lf.evaluation.report import compare_runs, write_report
from regllm_lf.evaluation.runner import RESULTS_FILE, Runner, load_questions, read_results


def _gold() -> dict[str, str]:
    return {q.messages[-1]["content"]: q.gold for q in load_questions("test")}


def test_retries_concurrency_and_perfect_gold_scores(serve, tmp_path: Path) -> None:  # noqa: ANN001
    questions = load_questions("test")
    flaky = {questions[0].messages[-1]["content"]: [429, 503], questions[1].messages[-1]["content"]: [500]}
    endpoint = FakeEndpoint(_gold(), flaky, delay=0.01)
    runner = Runner(serve(endpoint), "fake", tmp_path, concurrency=8, backoff_seconds=0.01)
    answered, failed = runner.run(questions, progress=False)
    assert failed == [] and answered == len(questions) and runner.retries == 3
    assert 1 < endpoint.peak <= 8
    summary = write_report(tmp_path)
    assert summary["numeric_accuracy"]["value"] == 1.0 and summary["citation_recall"]["value"] == 1.0
    for name in ("report.md", "report.html", "report.png", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0


def test_resume_after_interruption_loses_nothing(serve, tmp_path: Path) -> None:  # noqa: ANN001
    questions = load_questions("test", ["regulation"])
    endpoint = FakeEndpoint(_gold())
    url = serve(endpoint)
    Runner(url, "fake", tmp_path, concurrency=2).run(questions[:10], progress=False)
    with (tmp_path / RESULTS_FILE).open("a", encoding="utf-8") as stream:
        stream.write('{"id": "torn-half-writ')  # the process died mid-write
    endpoint.calls.clear()
    answered, _ = Runner(url, "fake", tmp_path, concurrency=2).run(questions, progress=False)
    results = read_results(tmp_path)
    assert answered == len(questions) - 10 and sum(endpoint.calls.values()) == len(questions) - 10
    assert sorted(r["id"] for r in results) == sorted(q.id for q in questions)


def test_a_question_that_keeps_failing_is_reported_not_recorded(serve, tmp_path: Path) -> None:  # noqa: ANN001
    questions = load_questions("test", ["regulation"])[:3]
    bad = questions[0].messages[-1]["content"]
    url = serve(FakeEndpoint(_gold(), {bad: [503] * 10}))
    answered, failed = Runner(url, "fake", tmp_path, max_attempts=3, backoff_seconds=0.01).run(
        questions, progress=False
    )
    assert answered == 2 and len(failed) == 1 and questions[0].id in failed[0]
    assert questions[0].id not in {r["id"] for r in read_results(tmp_path)}


def test_cli_eval_and_compare(serve, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    base_url = serve(FakeEndpoint({}, fixed="No lo sé."))
    tuned_url = serve(FakeEndpoint(_gold()))
    for name, url in (("base", base_url), ("tuned", tuned_url)):
        assert (
            main(
                [
                    "eval",
                    "--base-url",
                    url,
                    "--model",
                    name,
                    "--out",
                    str(tmp_path / name),
                    "--datasets",
                    "banking_qa",
                    "regulation",
                    "--no-progress",
                ]
            )
            == 0
        )
    assert main(["eval-compare", str(tmp_path / "base"), str(tmp_path / "tuned")]) == 0
    output = capsys.readouterr().out
    assert "numeric_accuracy" in output and "+1.000" in output and "Examples that changed" in output
    text = compare_runs(tmp_path / "base", tmp_path / "tuned")
    assert (tmp_path / "tuned" / "compare.png").is_file() and "citation_recall" in text
