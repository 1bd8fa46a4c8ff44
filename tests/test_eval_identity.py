"""``eval`` never mixes runs: a folder made for another model, endpoint, sampling or question set is
refused (``--restart`` discards it), two evals cannot write one folder at once, the scorer refuses ids
answered twice, and the report says how many questions were asked, answered and left without answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from regllm_lf.cli import main
from regllm_lf.core.problems import DataError
from regllm_lf.evaluation.report import write_report
from regllm_lf.evaluation.runner import RESULTS_FILE, Runner, load_questions


class Endpoint:
    """An OpenAI-compatible fake: answers every question with a fixed text; can fail some, or wait."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.release = threading.Event()
        self.release.set()

    def handle(self, body: dict) -> tuple[int, dict]:
        """The `serve` fixture's hook: waits while released is clear; 400 for the questions in ``fail``."""
        self.release.wait(30)
        if body["messages"][-1]["content"] in self.fail:
            return 400, {"error": {"message": "no"}}
        message = {"role": "assistant", "content": f"Respuesta de {body['model']}."}
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"]}
        payload["choices"] = [{"index": 0, "finish_reason": "stop", "message": message}]
        return 200, payload


@dataclass
class Endpoints:
    serve: Callable[[Endpoint], str]  # conftest's `serve` fixture
    started: list[Endpoint]


@pytest.fixture
def endpoints(serve: Callable[[Endpoint], str]) -> Iterator[Endpoints]:
    running = Endpoints(serve, [])
    yield running
    for endpoint in running.started:
        endpoint.release.set()  # an answer held back must not keep the server's shutdown waiting


def _url(endpoints: Endpoints, endpoint: Endpoint | None = None) -> str:
    endpoint = endpoint or Endpoint()
    endpoints.started.append(endpoint)
    return endpoints.serve(endpoint)


def _eval(url: str, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--base-url",
        url,
        "--out",
        str(out),
        "--datasets",
        "regulation",
        "--limit",
        "4",
        "--no-progress",
        *extra,
    ]


def _lines(out: Path) -> list[str]:
    return (out / RESULTS_FILE).read_text(encoding="utf-8").splitlines()


# --- 15: a resume into another run's folder is refused, whatever differs -----------------------------------


def _other_model(url: str, other_url: str, project: Path) -> list[str]:
    return ["--model", "tuned"]


def _other_endpoint(url: str, other_url: str, project: Path) -> list[str]:
    return ["--model", "base", "--base-url", other_url]  # the last --base-url wins


def _other_sampling(url: str, other_url: str, project: Path) -> list[str]:
    return ["--model", "base", "--max-tokens", "64"]


def _other_questions(url: str, other_url: str, project: Path) -> list[str]:
    split = project / "datasets" / "regllm_regulation_test.jsonl"
    rows = [json.loads(line) for line in split.read_text(encoding="utf-8").splitlines()]
    rows[0]["messages"][-1]["content"] += " (corregida)"
    split.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return ["--model", "base"]


def _other_split(url: str, other_url: str, project: Path) -> list[str]:
    return ["--model", "base", "--split", "train"]


MISMATCHES = {
    "model": (_other_model, "model: this folder holds answers for 'base'"),
    "endpoint": (_other_endpoint, "base_url: this folder holds answers for"),
    "sampling": (_other_sampling, "sampling: this folder holds answers for"),
    "questions": (_other_questions, "datasets.regulation: the questions changed"),
    "split": (_other_split, "split: this folder holds answers for 'test'"),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_mismatched_resume_is_refused_and_restart_discards(
    case: str, project: Path, endpoints: Endpoints, capsys: pytest.CaptureFixture[str]
) -> None:
    out = project / "eval" / "run"
    url, other_url = _url(endpoints), _url(endpoints)
    assert main([*_eval(url, out), "--model", "base"]) == 0
    before = _lines(out)
    change, message = MISMATCHES[case]
    extra = change(url, other_url, project)
    capsys.readouterr()
    assert main([*_eval(url, out), *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "run.json:1:" in err and "--restart" in err and "Traceback" not in err
    assert _lines(out) == before  # nothing asked, nothing appended
    assert main([*_eval(url, out), *extra, "--restart"]) == 0
    after = [json.loads(line) for line in _lines(out)]
    assert len(after) == 4 and json.loads((out / "run.json").read_text(encoding="utf-8"))["questions"] == 4


def test_answers_without_run_record_are_not_resumed(tmp_path: Path, endpoints: Endpoints) -> None:
    out = tmp_path / "old"
    out.mkdir()
    (out / RESULTS_FILE).write_text('{"id": "x", "answer": "de quién?"}\n', encoding="utf-8")
    questions = load_questions("test", ["regulation"], 2)
    with pytest.raises(DataError, match="which model gave them is unknown"):
        Runner(_url(endpoints), "m", out).run(questions, progress=False)


def test_same_identity_resumes(tmp_path: Path, endpoints: Endpoints) -> None:
    url = _url(endpoints)
    questions = load_questions("test", ["regulation"])
    Runner(url, "m", tmp_path).run(questions[:3], progress=False)
    answered, _ = Runner(url + "/", "m", tmp_path).run(questions[:6], progress=False)  # same endpoint
    assert answered == 3 and len(_lines(tmp_path)) == 6


# --- 16: one eval per folder at a time; duplicate ids are refused by the scorer -----------------------------


def test_a_second_eval_on_the_same_folder_is_refused(tmp_path: Path, endpoints: Endpoints) -> None:
    slow = Endpoint()
    slow.release.clear()
    url = _url(endpoints, slow)
    questions = load_questions("test", ["regulation"], 3)
    first = threading.Thread(target=Runner(url, "m", tmp_path, concurrency=1).run, args=(questions, False))
    first.start()
    try:
        for _ in range(200):
            if (tmp_path / "run.json").exists():
                break
            threading.Event().wait(0.05)
        with pytest.raises(DataError, match="another eval .* is writing into this folder"):
            Runner(url, "m", tmp_path).run(questions, progress=False)
    finally:
        slow.release.set()
        first.join(60)
    assert len(_lines(tmp_path)) == 3


@pytest.mark.parametrize("copies", [2, 3])
def test_scorer_refuses_ids_answered_twice(
    copies: int, tmp_path: Path, endpoints: Endpoints, capsys: pytest.CaptureFixture[str]
) -> None:
    Runner(_url(endpoints), "m", tmp_path).run(load_questions("test", ["regulation"], 2), progress=False)
    first = _lines(tmp_path)[0]
    with (tmp_path / RESULTS_FILE).open("a", encoding="utf-8") as stream:
        stream.write((first + "\n") * (copies - 1))
    with pytest.raises(DataError, match=r"results.jsonl:3: id: .* answered again \(first on line 1\)"):
        write_report(tmp_path)
    assert main(["eval-compare", str(tmp_path), str(tmp_path)]) == 1
    assert "answered again" in capsys.readouterr().err


# --- 17: the report says how many were asked, answered and failed ------------------------------------------


def test_report_counts_asked_answered_and_failed(
    project: Path, endpoints: Endpoints, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = load_questions("test", ["regulation"], 4)
    failing = Endpoint(fail={questions[1].messages[-1]["content"], questions[3].messages[-1]["content"]})
    out = project / "eval" / "partial"
    assert main([*_eval(_url(endpoints, failing), out), "--model", "m"]) == 1
    expected = f"4 preguntas, 2 respondidas, 2 sin respuesta ({questions[1].id}, {questions[3].id})"
    assert expected in capsys.readouterr().out
    assert expected in (out / "report.md").read_text(encoding="utf-8")
    assert "4 preguntas" in (out / "report.html").read_text(encoding="utf-8")
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["failed"] == sorted(
        [questions[1].id, questions[3].id]
    )
