"""Citation parser and index: every citation in the data resolves; invented ones do not."""

from __future__ import annotations

import pytest

from regllm_lf.core.jsonio import read_records
from regllm_lf.tasks.registry import task_named
from regllm_lf.tasks.regulation.citations import Citation, canonical_citations, load_index, parse_citations
from regllm_lf.tasks.sql_review.findings import load_findings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[EBA/GL/2017/16, párrafo 83]", [("EBA/GL/2017/16", "83")]),
        ("según [CRR, art. 178.1.b] y [CRR, artículo 178(1)(b)]", [("CRR", "178.1.b"), ("CRR", "178.1.b")]),
        ("[EBA/GL/2017/16, párrafos 73-75]", [("EBA/GL/2017/16", k) for k in ("73", "74", "75")]),
        ("[EBA/GL/2017/16, párrafos 36 y 37]", [("EBA/GL/2017/16", "36"), ("EBA/GL/2017/16", "37")]),
        ("[CRR, art. 180.2.e]", [("CRR", "180.2.e")]),
        ("[NIIF 9, párrafo B5.5.37]", [("NIIF 9", "B5.5.37")]),
        ("[Reglamento Delegado (UE) 2018/171, art. 1]", [("Reglamento Delegado (UE) 2018/171", "1")]),
        ("sin cita [nota al margen] ni [1]", []),
    ],
)
def test_parser(text: str, expected: list[tuple[str, str]]) -> None:
    assert parse_citations(text) == [Citation(document, key) for document, key in expected]


def test_index_rejects_invented_paragraphs() -> None:
    index = load_index()
    assert index.is_canonical("[EBA/GL/2017/16, párrafo 143]")
    assert not index.is_canonical("[EBA/GL/2017/16, párrafo 9143]")
    assert not index.is_canonical("[EBA/GL/2017/16, art. 143]")  # wrong unit for a guideline
    assert not index.is_canonical("[EBA/GL/2099/01, párrafo 1]")
    assert index.unresolved("Texto [CRR, art. 178.1.b] y [CRR, art. 999]") == ["[CRR, art. 999]"]


def test_every_citation_in_the_regulation_dataset_resolves() -> None:
    index = load_index()
    problems: list = []
    records = read_records(task_named("regulation").source, problems)
    assert problems == [] and len(records) >= 100
    for record in records:
        answer = record.data["messages"][-1]["content"]
        cited = canonical_citations(answer)
        assert cited, record.data["metadata"]["id"]
        assert index.unresolved(answer) == [], record.data["metadata"]["id"]
        assert record.data["metadata"]["citations"] == cited


def test_every_finding_reference_resolves() -> None:
    findings = load_findings(index=load_index())
    assert len(findings) >= 10
