"""The report chart: one panel per dataset, one bar per metric and run, with its 95 % interval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from regllm_lf.tasks.registry import all_metrics


def metric_panels(runs: dict[str, dict[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """Dataset → its metrics that have a value in at least one run (the panels and their bars)."""
    panels: dict[str, list[str]] = {}
    for metric in all_metrics():
        if any(summary.get(metric.name, {}).get("value") is not None for summary in runs.values()):
            panels.setdefault(metric.dataset, []).append(metric.name)
    return panels


def _counts(runs: dict[str, dict[str, dict[str, Any]]], name: str) -> str:
    """``n=21``, or ``n=9/29`` when the runs scored different numbers of questions."""
    counts = sorted({summary[name]["n"] for summary in runs.values() if name in summary})
    return "n=" + "/".join(str(count) for count in counts)


def interval_chart(path: Path, runs: dict[str, dict[str, dict[str, Any]]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = metric_panels(runs) or {"—": []}
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 1, 4.6), squeeze=False)
    width = 0.8 / max(len(runs), 1)
    for axis, (dataset, names) in zip(axes[0], panels.items(), strict=True):
        for number, (label, summary) in enumerate(runs.items()):
            positions, heights, errors = [], [], [[], []]
            for index, name in enumerate(names):
                item = summary.get(name, {})
                if item.get("value") is None:
                    continue
                low, high = item.get("interval") or (item["value"], item["value"])
                positions.append(index + number * width)
                heights.append(item["value"])
                errors[0].append(max(item["value"] - low, 0.0))
                errors[1].append(max(high - item["value"], 0.0))
            axis.bar(positions, heights, width, yerr=errors, capsize=3, label=label)
        labels = [f"{name}\n{_counts(runs, name)}" for name in names]
        axis.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(names))], labels, rotation=30, ha="right")
        axis.set_title(dataset)
        axis.set_ylim(0, 1.05)
    axes[0][0].set_ylabel("score, 95 % interval (hallucination: lower is better)")
    handles, legend = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, legend, loc="upper center", ncol=max(len(runs), 1), fontsize="small")
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
