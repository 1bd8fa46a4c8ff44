"""Evaluation reports: ``DIR/report.md``, ``report.html``, a chart and ``summary.json``, every metric with its
n and 95 % interval; and the base-vs-tuned comparison with a paired test per metric."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from regllm_lf.core.problems import DataError
from regllm_lf.evaluation.charts import interval_chart
from regllm_lf.evaluation.intervals import DEFAULT_SEED, SIGNIFICANCE, PairedTest, interval_method, paired_test
from regllm_lf.evaluation.manifest import check_comparable
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


def _cell(item: dict[str, Any]) -> str:
    """``0.871 [0.712, 0.950] n=31``."""
    if item["value"] is None:
        return f"— (n={item['n']})"
    low, high = item["interval"] or (item["value"], item["value"])
    return f"{item['value']:.3f} [{low:.3f}, {high:.3f}] n={item['n']}"


def _summary_table(runs: dict[str, dict[str, dict[str, Any]]]) -> list[list[str]]:
    rows = []
    for metric in all_metrics():
        cells = [metric.dataset, metric.name, "↑" if metric.higher_is_better else "↓"]
        for summary in runs.values():
            cells.append(_cell(summary[metric.name]))
        rows.append(cells)
    return rows


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in rows])


def _bold(text: str) -> str:
    """Markdown's **bold** (the significance marks) as HTML."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)


def _html(title: str, header: list[str], rows: list[list[str]], chart: str, extra: str = "") -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{_bold(html.escape(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return (
        f"<!doctype html><html lang='es'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}</style>"
        f"<h1>{html.escape(title)}</h1><table><tr>{head}</tr>{body}</table>"
        f"<p><img src='{html.escape(chart)}' alt='chart'></p>{extra}</html>\n"
    )


def write_report(out_dir: Path, scorer: Scorer | None = None, seed: int = DEFAULT_SEED) -> dict[str, dict[str, Any]]:
    results = scored_results(out_dir, scorer)
    summary = aggregate(results, seed)
    run = read_run(out_dir) or {}
    label = run.get("model", out_dir.name)
    counts = answer_counts(out_dir, results)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    header = ["dataset", "metric", "better", f"{label}: value [95 % interval] n"]
    rows = _summary_table({label: summary})
    chart = interval_chart(out_dir / "report.png", {label: summary})
    title = f"Evaluación de {label}"
    scope = counts_line(counts) + (" — las métricas cubren solo las respondidas" if counts["missing"] else "")
    note = f"Intervals: {interval_method(seed)} (see regllm_lf/evaluation/intervals.py)."
    (out_dir / "report.md").write_text(
        f"# {title}\n\n{scope}\n\n{_markdown(header, rows)}\n\n{note}\n\n![chart]({chart.name})\n", encoding="utf-8"
    )
    extra = f"<p>{html.escape(scope)}</p><p>{html.escape(note)}</p>"
    (out_dir / "report.html").write_text(_html(title, header, rows, chart.name, extra), encoding="utf-8")
    return summary


def paired_tests(
    base: list[dict[str, Any]], tuned: list[dict[str, Any]], seed: int = DEFAULT_SEED
) -> dict[str, PairedTest | None]:
    """Per metric, the paired test over the questions both runs answered and the metric applies to."""
    by_id = {result["id"]: result["scores"] for result in base}
    tests = {}
    for metric in all_metrics():
        pairs = [
            (by_id[r["id"]][metric.name], r["scores"][metric.name])
            for r in tuned
            if r["id"] in by_id
            and by_id[r["id"]].get(metric.name) is not None
            and r["scores"].get(metric.name) is not None
        ]
        tests[metric.name] = paired_test([a for a, _ in pairs], [b for _, b in pairs], seed)
    return tests


def _test_cells(test: PairedTest | None, higher_is_better: bool) -> list[str]:
    if test is None:
        return ["—", "0", "—", "—", "—"]
    better = (test.delta > 0) == higher_is_better
    verdict = ("**yes** (" + ("better" if better else "worse") + ")") if test.significant else "no"
    return [f"{test.delta:+.3f}", str(test.n), test.test, f"{test.p_value:.3g}", verdict]


def compare_runs(
    base_dir: Path, tuned_dir: Path, out_dir: Path | None = None, examples: int = 10, seed: int = DEFAULT_SEED
) -> str:
    """Markdown comparison (also written as compare.md/compare.html with a chart in ``out_dir``).

    ManifestError when the two runs were not evaluated on the same test set."""
    check_comparable(base_dir, tuned_dir)
    scorer = Scorer()
    base, tuned = scored_results(base_dir, scorer), scored_results(tuned_dir, scorer)
    runs = {f"base ({base_dir.name})": aggregate(base, seed), f"tuned ({tuned_dir.name})": aggregate(tuned, seed)}
    tests = paired_tests(base, tuned, seed)
    header = ["dataset", "metric", "better", *runs, "delta", "paired n", "test", "p"]
    header.append(f"significant (p < {SIGNIFICANCE})")
    rows = [
        [*cells, *_test_cells(tests[metric.name], metric.higher_is_better)]
        for cells, metric in zip(_summary_table(runs), all_metrics(), strict=True)
    ]
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
    note = (
        f"Intervals: {interval_method(seed)}. Paired tests over the questions both runs answered: exact McNemar "
        "for 0/1 scores, sign-flip permutation otherwise; not corrected for testing several metrics."
    )
    text = f"## Base vs fine-tuned\n\n{_markdown(header, rows)}\n\n{note}\n\n"
    text += f"### Examples that changed ({len(changed)})\n\n{example_table}\n"
    out_dir = out_dir or tuned_dir
    chart = interval_chart(out_dir / "compare.png", runs)
    (out_dir / "compare.md").write_text(text + f"\n![chart]({chart.name})\n", encoding="utf-8")
    extra = f"<p>{html.escape(note)}</p><pre>{html.escape(example_table)}</pre>"
    (out_dir / "compare.html").write_text(_html("Base vs fine-tuned", header, rows, chart.name, extra), "utf-8")
    return text


def _clip(text: str, width: int = 80) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= width else flat[: width - 1] + "…"
