"""Evaluation reports: ``DIR/report.md``, ``report.html`` and a bar chart, and the base-vs-tuned comparison."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from regllm_lf.core.problems import DataError
from regllm_lf.evaluation.run_identity import read_run
from regllm_lf.evaluation.runner import duplicate_problems, read_results
from regllm_lf.evaluation.scoring import Scorer, aggregate
from regllm_lf.tasks.registry import all_metrics


def scored_results(out_dir: Path, scorer: Scorer | None = None) -> list[dict[str, Any]]:
    """The run's answers, scored; DataError when an id was answered twice. Only the questions the run
    asked count (``run.json``): answers left from a larger earlier run of the same identity are not scored."""
    scorer = scorer or Scorer()
    results = read_results(out_dir)
    problems = duplicate_problems(out_dir, results)
    if problems:
        raise DataError(problems)
    asked = (read_run(out_dir) or {}).get("asked")
    if asked is not None:
        asked_ids = set(asked)
        results = [result for result in results if result["id"] in asked_ids]
    for result in results:
        result["scores"] = scorer.score(result["metadata"], result["answer"])
    return sorted(results, key=lambda r: r["id"])


def answer_counts(out_dir: Path, results: list[dict[str, Any]]) -> dict[str, Any]:
    """How many questions the run asked, how many have an answer, and which have none (failed)."""
    answered = {result["id"] for result in results}
    asked = (read_run(out_dir) or {}).get("asked", sorted(answered))
    missing = [identifier for identifier in asked if identifier not in answered]
    return {"asked": len(asked), "answered": len(asked) - len(missing), "missing": missing}


def counts_line(counts: dict[str, Any]) -> str:
    text = f"{counts['asked']} preguntas, {counts['answered']} respondidas, {len(counts['missing'])} sin respuesta"
    return text + (f" ({', '.join(counts['missing'])})" if counts["missing"] else "")


def _format(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _bar_chart(path: Path, runs: dict[str, dict[str, dict[str, Any]]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [metric.name for metric in all_metrics()]
    figure, axis = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / max(len(runs), 1)
    for number, (label, summary) in enumerate(runs.items()):
        values = [summary[name]["value"] or 0.0 for name in names]
        axis.bar([i + number * width for i in range(len(names))], values, width, label=label)
    axis.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(names))], names, rotation=30, ha="right")
    axis.set_ylim(0, 1)
    axis.set_ylabel("score (hallucination: lower is better)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _summary_table(runs: dict[str, dict[str, dict[str, Any]]]) -> list[list[str]]:
    rows = []
    for metric in all_metrics():
        cells = [metric.dataset, metric.name, "↑" if metric.higher_is_better else "↓"]
        for summary in runs.values():
            item = summary[metric.name]
            cells.append(f"{_format(item['value'])} (n={item['n']})")
        rows.append(cells)
    return rows


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in rows])


def _html(title: str, header: list[str], rows: list[list[str]], chart: str, extra: str = "") -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f"<!doctype html><html lang='es'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}</style>"
        f"<h1>{html.escape(title)}</h1><table><tr>{head}</tr>{body}</table>"
        f"<p><img src='{html.escape(chart)}' alt='chart'></p>{extra}</html>\n"
    )


def write_report(out_dir: Path, scorer: Scorer | None = None) -> dict[str, dict[str, Any]]:
    results = scored_results(out_dir, scorer)
    summary = aggregate(results)
    run = read_run(out_dir) or {}
    label = run.get("model", out_dir.name)
    counts = answer_counts(out_dir, results)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    header = ["dataset", "metric", "better", label]
    rows = _summary_table({label: summary})
    chart = _bar_chart(out_dir / "report.png", {label: summary})
    title = f"Evaluación de {label}"
    scope = counts_line(counts) + (" — las métricas cubren solo las respondidas" if counts["missing"] else "")
    (out_dir / "report.md").write_text(
        f"# {title}\n\n{scope}\n\n{_markdown(header, rows)}\n\n![chart]({chart.name})\n", encoding="utf-8"
    )
    extra = f"<p>{html.escape(scope)}</p>"
    (out_dir / "report.html").write_text(_html(title, header, rows, chart.name, extra), encoding="utf-8")
    return summary


def compare_runs(base_dir: Path, tuned_dir: Path, out_dir: Path | None = None, examples: int = 10) -> str:
    """Markdown comparison (also written as compare.md/compare.html with a chart in ``out_dir``)."""
    scorer = Scorer()
    base, tuned = scored_results(base_dir, scorer), scored_results(tuned_dir, scorer)
    runs = {f"base ({base_dir.name})": aggregate(base), f"tuned ({tuned_dir.name})": aggregate(tuned)}
    header = ["dataset", "metric", "better", *runs, "delta"]
    rows = []
    for cells, metric in zip(_summary_table(runs), all_metrics(), strict=True):
        a, b = (summary[metric.name]["value"] for summary in runs.values())
        rows.append([*cells, "—" if a is None or b is None else f"{b - a:+.3f}"])
    by_id = {r["id"]: r for r in base}
    changed = []
    for result in tuned:
        before = by_id.get(result["id"])
        if not before:
            continue
        for name, value in result["scores"].items():
            old = before["scores"].get(name)
            if value is not None and old is not None and value != old:
                changed.append((abs(value - old), result["id"], name, old, value, before["answer"], result["answer"]))
    changed.sort(key=lambda item: (-item[0], item[1], item[2]))
    lines = [
        f"| {i} | {n} | {_format(o)} → {_format(v)} | {_clip(a)} | {_clip(b)} |"
        for _, i, n, o, v, a, b in changed[:examples]
    ]
    example_table = "| id | metric | score | base answer | tuned answer |\n|---|---|---|---|---|\n" + "\n".join(lines)
    text = f"## Base vs fine-tuned\n\n{_markdown(header, rows)}\n\n### Examples that changed ({len(changed)})\n\n"
    text += example_table + "\n"
    out_dir = out_dir or tuned_dir
    chart = _bar_chart(out_dir / "compare.png", runs)
    (out_dir / "compare.md").write_text(text + f"\n![chart]({chart.name})\n", encoding="utf-8")
    (out_dir / "compare.html").write_text(
        _html("Base vs fine-tuned", header, rows, chart.name, "<pre>" + html.escape(example_table) + "</pre>"),
        encoding="utf-8",
    )
    return text


def _clip(text: str, width: int = 80) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"
