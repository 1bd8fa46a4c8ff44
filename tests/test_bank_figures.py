"""Bank figure files: every metric through the same figure rules, non-finite values refused, file names,
basis consistency, gaps and unconfirmed drafts — each class tried with several members, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from regllm_lf.core.problems import DataError
from regllm_lf.tasks.banking_qa.figures import load_bank_data


def _edit(path: Path, change) -> None:  # noqa: ANN001
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _problems(processed: Path, urls: Path) -> str:
    with pytest.raises(DataError) as raised:
        load_bank_data(processed, urls)
    return str(raised.value)


BBVA_2023 = ("bbva", "bbva_2023.json")


@pytest.mark.parametrize(
    ("metric", "change", "field", "message"),
    [
        # the old escape hatch: cet1_ratio took any unit, no source, any value
        ("cet1_ratio", lambda m: m.update(unit="miles EUR"), "metrics.cet1_ratio.unit", "'%' was expected"),
        ("cet1_ratio", lambda m: m.pop("source"), "metrics.cet1_ratio", "'source' is a required property"),
        ("cet1_ratio", lambda m: m.update(value="doce"), "metrics.cet1_ratio.value", "is not of type 'number'"),
        ("cet1_ratio", lambda m: m.pop("variant"), "metrics.cet1_ratio", "'variant' is a required property"),
        ("cet1_ratio", lambda m: m.update(variant="casi"), "metrics.cet1_ratio.variant", "is not one of"),
        ("roe", lambda m: m.update(unit="millones EUR"), "metrics.roe.unit", "'%' was expected"),
        ("roe", lambda m: m.update(value=None), "metrics.roe.value", "is not of type 'number'"),
        ("total_assets", lambda m: m.update(unit="%"), "metrics.total_assets.unit", "'millones EUR' was expected"),
        ("total_assets", lambda m: m.update(value="11.076"), "metrics.total_assets.value", "is not of type"),
        ("net_attributable_profit", lambda m: m.pop("definition"), "metrics.net_attributable_profit", "'definition'"),
        ("npl_ratio", lambda m: m["source"].pop("section"), "metrics.npl_ratio.source", "is not valid under any"),
        (
            "cost_to_income",
            lambda m: m["source"].update(document_id="no_such_doc"),
            "metrics.cost_to_income.source.document_id",
            "is not a document of",
        ),
        ("rote", lambda m: m.update(reporting="restated"), "metrics.rote.reporting", "comes from a report after 2023"),
        (
            "roe",
            lambda m: m["restatements"][0]["source"].update(document_id="bbva_2023_q4_informe_trimestral"),
            "metrics.roe.restatements[0].source.document_id",
            "a report after the figure's year",
        ),
        ("roe", lambda m: m.update(confirmed=False), "metrics.roe.confirmed", "unconfirmed figure"),
    ],
)
def test_every_metric_goes_through_the_figure_rules(
    bank_sources: tuple[Path, Path], metric: str, change, field: str, message: str
) -> None:  # noqa: ANN001
    processed, urls = bank_sources
    _edit(processed.joinpath(*BBVA_2023), lambda data: change(data["metrics"][metric]))
    text = _problems(processed, urls)
    assert "bbva_2023.json:" in text and f": {field}" in text and message in text, text


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_values_are_refused_with_their_line(bank_sources: tuple[Path, Path], token: str) -> None:
    processed, urls = bank_sources
    path = processed.joinpath(*BBVA_2023)
    text = path.read_text(encoding="utf-8").replace('"value": 16.2,', f'"value": {token},', 1)
    path.write_text(text, encoding="utf-8")
    line = next(number for number, row in enumerate(text.splitlines(), 1) if f'"value": {token}' in row)
    found = _problems(processed, urls)
    assert f"bbva_2023.json:{line}: metrics.roe.value: " in found and "is not a finite number" in found


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bbva_22.json", "{}"),  # silently skipped before: 167 → 155 rows
        ("bbva_2023.json.bak", "{}"),
        ("notas.txt", "apuntes"),
        ("caixabank_2023.json", "{}"),  # another bank's file in the bbva folder
        ("BBVA_2023.json", "{}"),
    ],
)
def test_any_other_file_in_a_bank_folder_is_an_error(bank_sources: tuple[Path, Path], name: str, content: str) -> None:
    processed, urls = bank_sources
    (processed / "bbva" / name).write_text(content, encoding="utf-8")
    assert f"{name}:0: file: not a bank figure file: expected bbva_<year>.json" in _problems(processed, urls)


def test_a_folder_inside_a_bank_folder_is_an_error(bank_sources: tuple[Path, Path]) -> None:
    processed, urls = bank_sources
    (processed / "bbva" / "borradores").mkdir()
    assert "borradores:0: file: not a bank figure file" in _problems(processed, urls)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data["metrics"].pop("roe"), "'roe' is neither a figure nor a gap"),
        (lambda data: data.setdefault("gaps", {}).update(roe={"searched": "buscado en el informe"}), "is both"),
        (lambda data: data.update(bank_id="caixabank"), "file must be caixabank/caixabank_2023.json"),
        (lambda data: data.update(year=2024), "file must be bbva/bbva_2024.json"),
        (lambda data: data.setdefault("gaps", {}).update(roe={"searched": "x"}), "is too short"),
    ],
)
def test_file_level_rules(bank_sources: tuple[Path, Path], change, message: str) -> None:  # noqa: ANN001
    processed, urls = bank_sources
    _edit(processed.joinpath(*BBVA_2023), change)
    assert message in _problems(processed, urls)


def test_all_problems_are_reported_at_once(bank_sources: tuple[Path, Path]) -> None:
    processed, urls = bank_sources
    _edit(processed.joinpath(*BBVA_2023), lambda data: data["metrics"]["roe"].update(value="doce"))
    _edit(processed / "sabadell" / "sabadell_2024.json", lambda data: data["metrics"]["roe"].pop("source"))
    (processed / "bbva" / "bbva_22.json").write_text("{}", encoding="utf-8")
    text = _problems(processed, urls)
    assert "bbva_2023.json" in text and "sabadell_2024.json" in text and "bbva_22.json" in text


def _cli(root: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "REGLLM_ROOT": str(root)}
    command = [sys.executable, "-m", "regllm_lf", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=root, timeout=300)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "data", tmp_path / "data")
    (tmp_path / "datasets").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(value="doce"),
        lambda m: m.pop("source"),
        lambda m: m.update(unit="miles EUR"),
        lambda m: m.update(confirmed=False),
    ],
)
def test_validate_and_generate_report_bad_figures_without_a_traceback(project_copy: Path, change) -> None:  # noqa: ANN001
    path = project_copy / "data" / "processed" / "bbva" / "bbva_2023.json"
    before = (project_copy / "data" / "finetuning" / "banking_qa_dataset.jsonl").read_bytes()
    _edit(path, lambda data: change(data["metrics"]["cet1_ratio"]))
    for arguments in (["validate"], ["generate", "banking"]):
        result = _cli(project_copy, *arguments)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr and "bbva_2023.json:" in result.stdout + result.stderr
    assert (project_copy / "data" / "finetuning" / "banking_qa_dataset.jsonl").read_bytes() == before
