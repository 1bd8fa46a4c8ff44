"""Splits are a function of the id: deterministic, stable when rows are added, no leakage."""

from __future__ import annotations

from collections import Counter

from helpers import DATASETS_DIR

from regllm_lf.core.jsonio import read_records
from regllm_lf.prepare.split import leaked_rows, split_of, split_rows
from regllm_lf.tasks.registry import all_tasks


def _row(identifier: str, topic: str = "t", text: str | None = None) -> dict:
    return {
        "messages": [
            {"role": "user", "content": text or f"pregunta {identifier}"},
            {"role": "assistant", "content": f"respuesta {identifier}"},
        ],
        "metadata": {"id": identifier, "topic": topic},
    }


def test_split_depends_only_on_the_id() -> None:
    rows = [_row(f"id-{n}") for n in range(300)]
    before = {row["metadata"]["id"]: split_of(row["metadata"]["id"]) for row in rows}
    more = rows + [_row(f"new-{n}") for n in range(100)]
    after = split_rows(list(reversed(more)))
    placed = {row["metadata"]["id"]: name for name, members in after.items() for row in members}
    assert all(placed[identifier] == split for identifier, split in before.items())
    share = sum(1 for split in before.values() if split == "test") / len(before)
    assert 0.13 < share < 0.27


def test_leak_detection_can_fail() -> None:
    split = {"train": [_row("a", text="misma pregunta")], "test": [_row("b", text="Misma  pregunta")]}
    assert leaked_rows(split) == [("b", "a")]


def test_committed_splits_cover_every_topic_and_do_not_leak() -> None:
    for dataset in all_tasks():
        problems: list = []
        split = {
            name: [r.data for r in read_records(dataset.split_file(name, DATASETS_DIR), problems)]
            for name in ("train", "test")
        }
        assert problems == []
        assert leaked_rows(split) == []
        for name, rows in split.items():
            assert all(split_of(row["metadata"]["id"]) == name for row in rows)
        train_topics = Counter(row["metadata"]["topic"] for row in split["train"])
        test_topics = Counter(row["metadata"]["topic"] for row in split["test"])
        assert set(test_topics) <= set(train_topics) | {"fuera_de_cobertura"}
        for topic, count in (train_topics + test_topics).items():
            if count >= 5:  # stratified: every topic of five or more rows is on both sides
                assert train_topics[topic] and test_topics[topic], (dataset.name, topic)
        share = sum(test_topics.values()) / sum((train_topics + test_topics).values())
        assert 0.15 <= share <= 0.25, (dataset.name, share)
