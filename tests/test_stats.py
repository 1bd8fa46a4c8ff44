"""``regllm-lf stats``: per dataset and topic, estimated or exact token lengths, rows over the cutoff."""

from __future__ import annotations

from pathlib import Path

import pytest

from regllm_lf.cli import main
from regllm_lf.prepare.stats import compute_stats, estimated_tokens, percentile


def _row(dataset: str, topic: str, size: int) -> dict:
    return {
        "messages": [{"role": "user", "content": "p" * size}, {"role": "assistant", "content": "r" * size}],
        "metadata": {"dataset": dataset, "topic": topic},
    }


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([10, 20], 0.95) == pytest.approx(19.5)


def test_groups_and_cutoff() -> None:
    rows = [_row("a", "x", 35), _row("a", "x", 3500), _row("a", "y", 70)]
    stats = {(s.dataset, s.topic): s for s in compute_stats(rows, cutoff_len=100)}
    assert stats[("a", "x")].rows == 2 and stats[("a", "(todos)")].rows == 3
    assert stats[("a", "x")].token_min == estimated_tokens(rows[0]["messages"]) == 20 + 8
    assert stats[("a", "x")].over_cutoff == 1 and stats[("a", "y")].over_cutoff == 0


def test_cli_with_real_tokenizer(tiny_qwen2: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--tokenizer", str(tiny_qwen2), "--cutoff-len", "512"]) == 0
    output = capsys.readouterr().out
    assert "tokens: exact (tokenizer)" in output and "regulation" in output and ">512" in output


def test_cli_estimate_is_labelled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats"]) == 0
    assert "ESTIMATE" in capsys.readouterr().out
