"""``regllm-lf export-lm-eval DIR``: our held-out sets as lm-evaluation-harness tasks.

DIR receives one task YAML per dataset (``regllm_<task>``: generate_until, our system prompt as the
task description so that ``--apply_chat_template`` sends it as the system message, the question as the
user turn, greedy decoding, no stop string), a ``regllm`` group, ``utils.py`` (``lm_eval_glue``: loads
the documents and scores with our scorers), ``data/`` (a copy of each test split) and
``regllm_export.json`` (project root, files and sha256). Run it with::

    lm_eval --model local-chat-completions --apply_chat_template --include_path DIR \\
        --tasks regllm_banking_qa,regllm_regulation,regllm_sql_review \\
        --model_args model=NAME,base_url=http://localhost:8000/v1/chat/completions
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.core.jsonio import read_records, write_atomic
from regllm_lf.core.problems import DataError, Problem, display_path
from regllm_lf.evaluation.manifest import sha256_file
from regllm_lf.tasks.registry import ENTRY_PREFIX, Task, all_tasks

GROUP = "regllm"
GLUE = Path(__file__).resolve().parent / "lm_eval_glue.py"
TASK_VERSION = 1.0  # bump when a prompt or a metric changes (lm-eval's convention)
MAX_GEN_TOKS = 512  # as `regllm-lf eval --max-tokens`


def task_name(task: Task) -> str:
    return f"{ENTRY_PREFIX}{task.name}"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _check_rows(task: Task, path: Path) -> None:
    """Each row must be [system,] user, assistant: lm-eval's document is one question and one answer."""
    problems: list[Problem] = []
    records = read_records(path, problems)
    for record in records:
        roles = [message.get("role") for message in record.data.get("messages", [])]
        if roles not in (["system", "user", "assistant"], ["user", "assistant"]):
            problems.append(Problem(record.path, record.line, "messages", f"{roles}: not one question and answer"))
    if problems:
        raise DataError(problems)
    if not records:
        raise DataError([Problem(display_path(path), 1, "file", f"no {task.name} test rows")])


def task_yaml(task: Task) -> str:
    if any(metric.aggregation != "mean" for metric in task.metrics):
        raise ValueError(f"{task.name}: only 'mean' aggregations can be exported to lm-eval")
    metrics = "".join(
        f"  - metric: {metric.name}\n"
        f"    aggregation: !function utils.mean\n"
        f"    higher_is_better: {str(metric.higher_is_better).lower()}\n"
        for metric in task.metrics
    )
    return (
        f"# Written by `regllm-lf export-lm-eval`: {task.title}.\n"
        f"task: {task_name(task)}\n"
        f"custom_dataset: !function utils.load\n"
        f"dataset_kwargs:\n  task: {task.name}\n"
        "test_split: test\n"
        "output_type: generate_until\n"
        "description: system\n"
        "doc_to_text: question\n"
        "doc_to_target: gold\n"
        'target_delimiter: ""\n'
        "num_fewshot: 0\n"
        "generation_kwargs:\n"
        "  until: []\n"
        f"  max_gen_toks: {MAX_GEN_TOKS}\n"
        "  do_sample: false\n"
        "  temperature: 0.0\n"
        "process_results: !function utils.process_results\n"
        f"metric_list:\n{metrics}"
        f"metadata:\n  version: {TASK_VERSION}\n"
    )


def group_yaml(tasks: list[Task]) -> str:
    listed = "".join(f"  - {task_name(task)}\n" for task in tasks)
    header = "# Written by `regllm-lf export-lm-eval`: every regllm task (their metrics differ: no group score).\n"
    return f"{header}group: {GROUP}\ntask:\n{listed}"


def planned_export(datasets: list[str] | None = None) -> tuple[dict[str, str], dict[str, Path], dict[str, Any]]:
    """(text files by relative path, data copies by relative path → source, export record)."""
    tasks = [task for task in all_tasks() if datasets is None or task.name in datasets]
    unknown = set(datasets or []) - {task.name for task in all_tasks()}
    if unknown:
        raise KeyError(f"unknown datasets: {sorted(unknown)}")
    texts: dict[str, str] = {"utils.py": GLUE.read_text(encoding="utf-8"), f"{GROUP}.yaml": group_yaml(tasks)}
    copies: dict[str, Path] = {}
    record: dict[str, Any] = {"project_root": str(project.root()), "tasks": {}}
    for task in tasks:
        source = task.split_file("test")
        _check_rows(task, source)
        copy = f"data/{source.name}"
        copies[copy] = source
        texts[f"{task_name(task)}.yaml"] = task_yaml(task)
        record["tasks"][task.name] = {
            "lm_eval_task": task_name(task),
            "file": copy,
            "source": project.relative_to_root(source),
            "sha256": sha256_file(source),
        }
    texts["regllm_export.json"] = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    return texts, copies, record


def export_lm_eval(out_dir: Path, datasets: list[str] | None = None) -> list[Path]:
    """Write the lm-eval task folder (everything checked first); returns the files written."""
    texts, copies, _ = planned_export(datasets)
    written = []
    for relative, text in texts.items():
        write_atomic(out_dir / relative, text)
        written.append(out_dir / relative)
    for relative, source in copies.items():
        write_atomic(out_dir / relative, source.read_bytes())
        written.append(out_dir / relative)
    return written
