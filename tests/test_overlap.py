"""13-gram overlap (`regllm-lf overlap`) and the build's near-duplicate gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATASETS_DIR

from regllm_lf.cli import main
from regllm_lf.evaluation.overlap import NEAR_DUPLICATE, Reference, row_overlaps, words
from regllm_lf.prepare.build import near_duplicate_problems
from regllm_lf.tasks.registry import all_tasks

QUESTION = (
    "¿Qué exige el párrafo 143 de las directrices sobre la estimación de la PD a largo plazo en carteras con "
    "pocos impagos?"
)
ANSWER = (
    "Las entidades deben calcular la media a largo plazo de las tasas de impago observadas de un año, incluyendo "
    "al menos un periodo recesivo representativo, y documentar cualquier ajuste de calibración que apliquen."
)


def _row(identifier: str, question: str, answer: str) -> dict:
    messages = [
        {"role": "system", "content": "Eres un experto."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    return {"messages": messages, "metadata": {"id": identifier, "dataset": "regulation", "topic": "t"}}


def test_words_follow_the_harness_normalisation() -> None:
    assert words("¿Cuál fue el ROE, en 2023?  «Ajustado»") == ["cuál", "fue", "el", "roe", "en", "2023", "ajustado"]


def test_pooled_share_and_near_duplicate_score() -> None:
    reference = Reference([("train-1", _row("train-1", QUESTION, ANSWER))])
    copied = _row("test-1", QUESTION.replace("143", "144"), ANSWER + " Además, revisa el margen de conservadurismo.")
    unrelated = _row("test-2", "¿Qué es el factor de conversión del crédito?", "Es la parte del disponible que se usa.")
    half = _row("test-3", "Pregunta nueva sin relación alguna con nada de lo anterior de ningún modo", ANSWER)
    first, second, third = row_overlaps([(r["metadata"]["id"], r) for r in (copied, unrelated, half)], reference)
    tokens = words(QUESTION)
    changed = tokens.index("143")  # one changed word removes the 13-grams that span it
    intact = [start for start in range(len(tokens) - 12) if not start <= changed <= start + 12]
    assert first.shares["user"] == pytest.approx(len(intact) / (len(tokens) - 12))
    assert first.shares["assistant"] > 0.7 and first.duplicate_of == "train-1"
    assert second.share == 0 and second.duplicate == 0 and second.duplicate_of is None
    assert third.shares["assistant"] == 1.0 and third.duplicate == 0.0  # the answer alone is no duplicate


def test_build_gate_fails_on_a_near_duplicate_and_names_both_rows() -> None:
    train = {"regulation": [_row("reg-train", QUESTION, ANSWER)]}
    test = {"regulation": [_row("reg-test", QUESTION + " Gracias.", ANSWER)]}
    [problem] = near_duplicate_problems(train, test)
    assert "reg-test" in problem.message and "reg-train" in problem.message and problem.field == "metadata.id"
    assert (
        near_duplicate_problems(train, {"regulation": [_row("other", "¿Qué es la LGD?", "La pérdida en impago.")]})
        == []
    )


def _split_rows(split: str) -> list[tuple[str, dict]]:
    rows = []
    for task in all_tasks():
        for line in task.split_file(split).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows.append((row["metadata"]["id"], row))
    return rows


def test_current_test_splits_pass_the_gate_with_margin() -> None:
    overlaps = row_overlaps(_split_rows("test"), Reference(_split_rows("train")))
    worst = max(overlaps, key=lambda item: item.duplicate)
    assert worst.duplicate < NEAR_DUPLICATE, worst
    assert sum(item.share > 0 for item in overlaps) > 0  # templated answers do overlap: the measure is live


def test_cli_flags_a_set_against_itself_and_reads_other_shapes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    test_file = str(DATASETS_DIR / "regllm_regulation_test.jsonl")
    assert main(["overlap", test_file, test_file, "--top", "2"]) == 1
    rows = sum(1 for line in Path(test_file).read_text(encoding="utf-8").splitlines() if line.strip())
    assert f"{rows} row(s) at or above" in capsys.readouterr().out  # every row repeats itself
    external = tmp_path / "external.jsonl"
    external.write_text(json.dumps({"id": "x1", "question": QUESTION, "answer": ANSWER}) + "\n", encoding="utf-8")
    train_files = [str(path) for path in sorted(DATASETS_DIR.glob("regllm_*_train.jsonl"))]
    assert main(["overlap", str(external), *train_files]) == 0
    assert "1 rows" in capsys.readouterr().out
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": 1}\n{not json\n', encoding="utf-8")
    assert main(["overlap", str(broken), test_file]) == 1
    assert "broken.jsonl:2:" in capsys.readouterr().err
