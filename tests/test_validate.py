"""``regllm-lf validate``: every problem reported as file:line: field: message, never only the first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regllm_lf.cli import main
from regllm_lf.prepare.validate import validate_files

SYSTEM = {"role": "system", "content": "Eres un experto."}
USER = {"role": "user", "content": "¿Qué es la PD?"}
ASSISTANT = {"role": "assistant", "content": "La probabilidad de default."}


@pytest.fixture(autouse=True)
def _inside_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # problems show paths relative to the working directory


def row(identifier: str, messages: list | None = None) -> dict:
    return {
        "messages": messages if messages is not None else [SYSTEM, USER, ASSISTANT],
        "metadata": {"id": identifier, "dataset": "banking_qa", "topic": "dato_puntual", "facts": [], "sources": []},
    }


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in rows), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    problems, _ = validate_files([path], domain=False)
    return [str(problem) for problem in problems]


def test_valid_file_has_no_problems(tmp_path: Path) -> None:
    assert problems_of(write_jsonl(tmp_path / "ok.jsonl", [row("a-1"), row("a-2", [USER, ASSISTANT])])) == []


@pytest.mark.parametrize(
    ("messages", "field", "fragment"),
    [
        ([SYSTEM, ASSISTANT, USER], "messages[1].role", "expected 'user'"),
        ([USER, ASSISTANT, SYSTEM, USER, ASSISTANT], "messages[2].role", "system message allowed only as the first"),
        ([SYSTEM, USER], "messages", "last message must be the assistant's"),
        ([USER, {"role": "gpt", "content": "x"}], "messages[1].role", "'gpt' is not one of"),
        ([USER, {"content": "x"}], "messages[1]", "'role' is a required property"),
        ([USER, {"role": "assistant", "content": ""}], "messages[1].content", "should be non-empty"),
        ([USER, {"role": "assistant", "content": "  \n"}], "messages[1].content", "does not match"),
        ([USER, {"role": "assistant", "content": 7}], "messages[1].content", "is not of type 'string'"),
        ([USER, {"role": "assistant", "content": "a\x00b"}], "messages[1].content", "control character U+0000"),
    ],
)
def test_each_bad_row_is_reported_with_line_and_field(
    tmp_path: Path, messages: list, field: str, fragment: str
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [row("ok-1"), row("bad-1", messages)])
    found = problems_of(path)
    assert any(line.startswith(f"{path.name}:2: {field}: ") and fragment in line for line in found), found


def test_all_problems_are_reported_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text(
        json.dumps(row("x-1", [ASSISTANT]))
        + "\n{not json\n"
        + json.dumps(row("x-1"))
        + "\n"
        + json.dumps({"messages": []})
        + "\n",
        encoding="utf-8",
    )
    found = problems_of(path)
    lines = {line.split(":")[1] for line in found}
    assert {"1", "2", "3", "4"} <= lines, found
    assert any("duplicate id 'x-1'" in line for line in found)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [row("same")])
    second = tmp_path / "b.json"
    second.write_text(json.dumps([row("other"), row("same")], indent=2), encoding="utf-8")
    problems, _ = validate_files([first, second], domain=False)
    line = element_lines(second)[1]
    assert [str(p) for p in problems] == [f"b.json:{line}: metadata.id: duplicate id 'same' (first at a.jsonl:1)"]


def element_lines(path: Path) -> list[int]:
    """Lines where the elements of an indent=2 JSON array start."""
    return [number for number, line in enumerate(path.read_text().splitlines(), start=1) if line == "  {"]


def test_json_array_reports_the_line_of_each_element(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    bad = row("b-1", [USER])
    path.write_text(json.dumps([row("a-1"), bad], indent=2), encoding="utf-8")
    found = problems_of(path)
    line = element_lines(path)[1]
    assert line > 2
    assert found and all(problem.startswith(f"rows.json:{line}: ") for problem in found), found


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    text = json.dumps(row("w-1"), ensure_ascii=False) + "\r\n" + json.dumps(row("w-2"), ensure_ascii=False) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert problems_of(path) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty.jsonl:1: file: is empty"),
        (b'{"messages": [}\n', "broken.jsonl:1: json: "),
        (b'{"messages": []}\n\xff\xfe\n', "latin.jsonl:2: encoding: invalid UTF-8 byte 0xff"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    name = expected.split(":")[0]
    path = tmp_path / name
    path.write_bytes(content)
    found = problems_of(path)
    assert any(line.startswith(expected) for line in found), found


def test_directory_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    problems, _ = validate_files([folder, tmp_path / "nope.jsonl"], domain=False)
    text = [str(p) for p in problems]
    assert any("folder.jsonl:0: file: is a directory" in line for line in text)
    assert any("nope.jsonl:0: file: does not exist" in line for line in text)


def test_cli_exit_codes_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    good = write_jsonl(tmp_path / "good.jsonl", [row("g-1")])
    bad = write_jsonl(tmp_path / "bad.jsonl", [row("b-1", [USER])])
    assert main(["validate", "--no-domain", str(good)]) == 0
    assert main(["validate", "--no-domain", str(bad)]) == 1
    assert "bad.jsonl:1: messages: the last message must be the assistant's" in capsys.readouterr().err


def test_domain_rules_reject_unknown_citation_and_finding(tmp_path: Path) -> None:
    regulation = {
        "messages": [USER, {"role": "assistant", "content": "Véase [EBA/GL/2017/16, párrafo 9999]."}],
        "metadata": {
            "id": "r-1",
            "dataset": "regulation",
            "topic": "x",
            "source": "EBA/GL/2017/16",
            "title": "t",
            "citations": ["[EBA/GL/2017/16, párrafo 9999]"],
        },
    }
    sql = {
        "messages": [
            {"role": "user", "content": "Revisa:\n```sql\nSELEC 1\n```"},
            {"role": "assistant", "content": "**ANÁLISIS**\n```sql\nSELECT * FROM tabla_inexistente\n```"},
        ],
        "metadata": {
            "id": "s-1",
            "dataset": "sql_review",
            "topic": "pd_estimacion",
            "reference_date": "2023-12-31",
            "findings": ["NO_EXISTE"],
            "compliant": False,
        },
    }
    path = write_jsonl(tmp_path / "domain.jsonl", [regulation, sql])
    problems, _ = validate_files([path])
    text = "\n".join(str(p) for p in problems)
    assert "domain.jsonl:1: messages.content: citation [EBA/GL/2017/16, párrafo 9999] does not resolve" in text
    assert "domain.jsonl:2: metadata.findings: unknown finding id 'NO_EXISTE'" in text
    assert "domain.jsonl:2: messages.content: reviewed SQL block 1: sqlglot cannot parse it" in text
    assert "domain.jsonl:2: messages.content: corrected SQL block 1: DuckDB cannot run it" in text


def test_project_sources_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0, capsys.readouterr().err
    assert "OK: " in capsys.readouterr().out
