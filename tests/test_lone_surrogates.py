"""A lone surrogate (a ``\\udXXX`` escape with no partner) anywhere in a row — message, role, metadata, a
key, inside ``metadata.details`` — is a problem naming its file, line and field, never a traceback:
no UTF-8 file can hold it, so it would crash the writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATASETS_DIR

from regllm_lf.cli import main

ROW = (DATASETS_DIR / "regllm_banking_qa_train.jsonl").read_text(encoding="utf-8").splitlines()[0]

# (how the JSON line is spoiled, the field the problem names); \\udXXX is written as the escape text.
PLACES = [
    (lambda line: line.replace('"content": "', '"content": "\\ud800', 2), "messages[1].content"),
    (lambda line: line.replace('"role": "user"', '"role": "user\\udfff"', 1), "messages[1].role"),
    (lambda line: line.replace('"topic": "', '"topic": "x\\udc00', 1), "metadata.topic"),
    (lambda line: line.replace('"id": "', '"id": "\\udbff', 1), "metadata.id"),
    (lambda line: line.replace('{"messages"', '{"\\udc80": 1, "messages"', 1), "\\udc80"),
    (lambda line: line.replace('\\"sources\\":[\\"', '\\"sources\\":[\\"\\\\udc81', 1), "metadata.details: sources[0]"),
    (
        lambda line: line.replace('\\"metric\\":\\"', '\\"metric\\":\\"\\\\ud834', 1),
        "metadata.details: facts[0].metric",
    ),
]


@pytest.mark.parametrize(("spoil", "field"), PLACES, ids=[field.replace(": ", ".") for _, field in PLACES])
@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_lone_surrogate_is_a_problem_with_its_field(
    spoil,
    field: str,
    suffix: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # noqa: ANN001
) -> None:
    bad = spoil(ROW)
    assert bad != ROW
    path = tmp_path / f"rows{suffix}"
    lines = [ROW.replace('"id": "', '"id": "ok-', 1), bad]
    path.write_text("\n".join(lines) + "\n" if suffix == ".jsonl" else "[\n" + ",\n".join(lines) + "\n]\n")
    assert main(["validate", "--no-domain", str(path)]) == 1
    err = capsys.readouterr().err
    line = 2 if suffix == ".jsonl" else 3
    assert f"rows{suffix}:{line}: {field}: " in err and "lone surrogate" in err
    assert "Traceback" not in err


def test_surrogate_pairs_are_text_not_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An emoji written as its escaped pair (\\ud83d\\ude00) is one valid character."""
    path = tmp_path / "rows.jsonl"
    path.write_text(ROW.replace('"content": "', '"content": "\\ud83d\\ude00 ', 2) + "\n", encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["messages"][0]["content"].startswith("\U0001f600")
    assert main(["validate", "--no-domain", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bank.json", '{"sources": {"cuentas": {"title": "Informe \\udc00"}}}'),
        ("index.yaml", 'documents:\n  - id: CRR\n    title: "Reglamento \\ud800"\n'),
        ("findings.yaml", '"\\udfff": {cues: [x]}\n'),
    ],
)
def test_structured_files_refuse_lone_surrogates(name: str, text: str, tmp_path: Path) -> None:
    """Bank figures, the regulation index, findings, constants: their YAML parse (JSON files are composed as
    YAML too, for line numbers) already refuses the escape, as a problem rather than a crash."""
    from regllm_lf.core.structured import load_structured

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems: list = []
    assert load_structured(path, problems) is None
    assert [(problem.field, problem.message) for problem in problems] == [
        ("yaml", "found invalid Unicode character escape code")
    ]
