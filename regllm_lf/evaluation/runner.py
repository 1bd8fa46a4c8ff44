"""``regllm-lf eval``: the held-out questions through any OpenAI-compatible endpoint.

Bounded concurrency, retries with exponential backoff on 429, 5xx, timeouts and dropped connections, a
progress bar, and every answer appended to ``DIR/results.jsonl`` (flushed and fsynced) the moment it
arrives. Re-running resumes: answered ids are skipped, so an interrupted run loses nothing answered —
but only into a folder made for the same model, endpoint, sampling and questions (``run_identity``),
and never while another eval writes there (a lock).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regllm_lf.core.jsonio import dump_jsonl, loads_strict, read_records, write_atomic
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.evaluation.manifest import MANIFEST_FILE
from regllm_lf.evaluation.run_identity import finish_run, locked_run_dir, run_identity, start_run
from regllm_lf.tasks.registry import all_tasks, task_named

RESULTS_FILE = "results.jsonl"


@dataclass(frozen=True)
class Question:
    id: str
    dataset: str
    topic: str
    messages: list[dict[str, str]]  # system + user (the prompt)
    gold: str
    metadata: dict[str, Any]
    split: str = "test"  # the split file it comes from (recorded in the run's manifest)


def load_questions(split: str = "test", datasets: list[str] | None = None, limit: int | None = None) -> list[Question]:
    tasks = all_tasks()
    chosen = [d for d in tasks if datasets is None or d.name in datasets]
    unknown = set(datasets or []) - {d.name for d in tasks}
    if unknown:
        known = ", ".join(d.name for d in tasks)
        raise DataError(
            [Problem("--datasets", 0, "datasets", f"unknown: {', '.join(sorted(unknown))}; known: {known}")]
        )
    questions: list[Question] = []
    for dataset in chosen:
        problems: list = []
        records = read_records(dataset.split_file(split), problems)
        if problems:
            raise DataError(problems)
        rows = [record.data for record in records][:limit]
        for row in rows:
            metadata = row["metadata"]
            questions.append(
                Question(
                    metadata["id"],
                    metadata["dataset"],
                    metadata["topic"],
                    row["messages"][:-1],
                    row["messages"][-1]["content"],
                    metadata,
                    split,
                )
            )
    return questions


def read_results(out_dir: Path, repair: bool = False) -> list[dict[str, Any]]:
    """Answered rows, each with its ``line``; a half-written line (an interrupted write) is skipped, and with
    ``repair`` (only under the run lock) dropped from the file."""
    path = out_dir / RESULTS_FILE
    if not path.exists():
        return []
    results, torn = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            result = loads_strict(line)
        except ValueError:
            torn = True
            continue
        if isinstance(result, dict) and isinstance(result.get("id"), str):
            results.append({**result, "line": number})
        else:
            torn = True
    if torn and repair:
        write_atomic(path, dump_jsonl([{k: v for k, v in r.items() if k != "line"} for r in results]))
    return results


def duplicate_problems(out_dir: Path, results: list[dict[str, Any]]) -> list[Problem]:
    """Ids answered more than once (two runs wrote into one folder): a report over them would lie."""
    first: dict[str, int] = {}
    problems = []
    for result in results:
        if result["id"] in first:
            message = f"{result['id']!r} answered again (first on line {first[result['id']]}): two runs wrote here?"
            problems.append(Problem(display_path(out_dir / RESULTS_FILE), result["line"], "id", message))
        else:
            first[result["id"]] = result["line"]
    return problems


def _retryable(error: Exception) -> bool:
    import openai

    if isinstance(error, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    return isinstance(error, openai.APIStatusError) and error.status_code >= 500


class Runner:
    def __init__(
        self,
        base_url: str,
        model: str,
        out_dir: Path,
        api_key_env: str | None = None,
        concurrency: int = 4,
        max_tokens: int = 512,
        timeout: float = 120.0,
        max_attempts: int = 6,
        backoff_seconds: float = 0.5,
        provenance: dict[str, Any] | None = None,
        split: str = "test",
    ) -> None:
        from regllm_lf.evaluation.client import openai_client

        # Our own retry loop (below) so that every retry is visible and bounded; the client retries nothing.
        self.client = openai_client(base_url, api_key_env, max_retries=0, timeout=timeout)
        self.base_url, self.model, self.out_dir = base_url, model, out_dir
        self.concurrency, self.max_tokens = concurrency, max_tokens
        self.max_attempts, self.backoff_seconds = max_attempts, backoff_seconds
        self.provenance = provenance or {}
        self.split = split
        self.lock = threading.Lock()
        self.retries = 0

    def ask(self, question: Question) -> dict[str, Any]:
        for attempt in range(self.max_attempts):
            started = time.monotonic()
            try:
                reply = self.client.chat.completions.create(
                    model=self.model, messages=question.messages, **self.sampling()
                )
                choice = reply.choices[0]
                return {
                    "id": question.id,
                    "dataset": question.dataset,
                    "topic": question.topic,
                    "question": question.messages[-1]["content"],
                    "gold": question.gold,
                    "answer": choice.message.content or "",
                    "finish_reason": choice.finish_reason,
                    "latency_s": round(time.monotonic() - started, 3),
                    "attempts": attempt + 1,
                    "metadata": question.metadata,
                }
            except Exception as error:  # noqa: BLE001 - classified just below
                if not _retryable(error) or attempt == self.max_attempts - 1:
                    raise
                with self.lock:
                    self.retries += 1
                delay = self.backoff_seconds * 2**attempt * (1 + random.random() / 2)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def write_manifest(self, questions: list[Question]) -> None:
        """Record the test set, sampling and versions; refuse to resume a folder answered on another test set."""
        from regllm_lf.evaluation.manifest import (
            ManifestError,
            extend_test_set,
            package_versions,
            read_manifest,
            test_set,
        )
        from regllm_lf.evaluation.manifest import write_manifest as write

        ids: dict[tuple[str, str], list[str]] = {}
        for question in questions:
            ids.setdefault((question.dataset, question.split), []).append(question.id)
        tasks = {task.name: task for task in all_tasks()}
        current = test_set({name: (tasks[name].split_file(split), asked) for (name, split), asked in ids.items()})
        existing = read_manifest(self.out_dir)
        if existing is not None:
            current = extend_test_set(existing.get("test_set", {}), current, self.out_dir)
        else:  # answers from before manifests existed: they must be to these very questions
            asked = {q.id: (q.messages[-1]["content"], q.gold) for q in questions}
            stale = [r["id"] for r in read_results(self.out_dir) if asked.get(r["id"]) != (r["question"], r["gold"])]
            if stale:
                raise ManifestError(f"{self.out_dir}: answers to questions not in this test set: {stale[:5]}")
        write(
            self.out_dir,
            {
                "kind": "eval",
                "base_url": self.base_url,
                "model": self.model,
                "splits": sorted({question.split for question in questions}),
                "test_set": current,
                "sampling": {"temperature": 0, "max_tokens": self.max_tokens},
                "packages": package_versions(),
                **self.provenance,
            },
        )

    def _append(self, result: dict[str, Any]) -> None:
        with self.lock, (self.out_dir / RESULTS_FILE).open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(result, ensure_ascii=False) + "\n")
            stream.flush()
            os.fsync(stream.fileno())

    def sampling(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": 0}

    def identity(self, questions: list[Question]) -> dict[str, Any]:
        files = {q.dataset: task_named(q.dataset).split_file(self.split) for q in questions}
        return run_identity(self.model, self.base_url, self.split, self.sampling(), files)

    def run(self, questions: list[Question], progress: bool = True, restart: bool = False) -> tuple[int, list[str]]:
        """(answered now, ids that failed after retries); already answered ids are skipped.

        DataError when the folder holds another run's answers (unless ``restart``) or another eval is writing.
        """
        with locked_run_dir(self.out_dir):
            start_run(self.out_dir, self.identity(questions), [q.id for q in questions], restart)
            if restart:  # the discarded answers' test set goes with them
                (self.out_dir / MANIFEST_FILE).unlink(missing_ok=True)
            self.write_manifest(questions)
            done = {result["id"] for result in read_results(self.out_dir, repair=True)}
            pending = [q for q in questions if q.id not in done]
            answered, failures = self._ask_all(pending, len(questions), progress)
            finish_run(self.out_dir, list(failures))
        return answered, [f"{identifier}: {why}" for identifier, why in failures.items()]

    def _ask_all(self, pending: list[Question], total: int, progress: bool) -> tuple[int, dict[str, str]]:
        """(answered, why each failed question failed)."""
        from tqdm import tqdm

        failed: dict[str, str] = {}
        answered = 0
        with (
            ThreadPoolExecutor(max_workers=self.concurrency) as pool,
            tqdm(
                total=total, initial=total - len(pending), desc=f"eval {self.model}", disable=not progress, unit="q"
            ) as bar,
        ):
            futures = {pool.submit(self.ask, question): question for question in pending}
            for future in as_completed(futures):
                try:
                    self._append(future.result())
                    answered += 1
                except Exception as error:  # noqa: BLE001 - reported, the run goes on
                    failed[futures[future].id] = f"{type(error).__name__}: {error}"
                bar.update(1)
        return answered, failed
