"""`regllm-lf reports`: candidates read from PDFs generated here (a table and running text in Spanish number
format over two pages, a figure split across lines), drafts that validation refuses until confirmed, and
downloads from a local HTTP server: checksums, resume, cache, and a clear message when offline."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from helpers import REPO_ROOT

from regllm_lf import project
from regllm_lf.cli import main
from regllm_lf.core.problems import DataError
from regllm_lf.tasks.banking_qa.figures import TRACKED_METRICS, load_bank_data
from regllm_lf.tasks.banking_qa.reports.extract import candidates_in_lines, extract_candidates
from regllm_lf.tasks.banking_qa.reports.fetch import fetch_documents


def _report_pdf(path: Path) -> Path:
    """Page 1: a key-figures table; page 2: running text where a label ends one line and its figure opens the next."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    pdf.cell(0, 8, "Datos clave del Grupo (millones de euros / %)", new_x="LMARGIN", new_y="NEXT")
    for label, now, before in [
        ("", "2024", "2023"),
        ("Activo total", "631.003", "607.167"),
        ("Resultado atribuido al Grupo", "5.787", "4.816"),
        ("ROE", "15,4 %", "13,2 %"),
        ("ROTE", "18,1 %", "15,6 %"),
        ("Ratio de eficiencia", "38,5 %", "40,9 %"),
        ("Ratio de cobertura de liquidez (LCR)", "207 %", "215 %"),
    ]:
        pdf.cell(90, 7, label, border=1)
        pdf.cell(40, 7, now, border=1, align="R")
        pdf.cell(40, 7, before, border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    for line in [
        "La calidad de la cartera mejoró durante el ejercicio: la ratio de morosidad se situó en el 2,6 %",
        "al cierre de diciembre y la ratio de cobertura alcanzó el",
        "69 % de los riesgos dudosos.",
        "La ratio CET1 fully loaded del Grupo cerró el año en el 12,2 %, por encima del requerimiento.",
    ]:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report_pdf(tmp_path_factory.mktemp("pdf") / "caixabank_2024_informe_gestion.pdf")


def test_candidates_from_a_generated_pdf(report: Path) -> None:
    found = {(c.metric, c.value, c.unit, c.page) for c in extract_candidates(report)}
    assert found >= {
        ("total_assets", 631003, "millones EUR", 1),
        ("net_attributable_profit", 5787, "millones EUR", 1),
        ("roe", 15.4, "%", 1),
        ("rote", 18.1, "%", 1),
        ("cost_to_income", 38.5, "%", 1),
        ("npl_ratio", 2.6, "%", 2),
        ("npl_coverage_ratio", 69, "%", 2),  # the label ends a line, the figure opens the next
    }
    assert not any(c.metric == "npl_coverage_ratio" and c.value == 207 for c in extract_candidates(report))
    split = next(c for c in extract_candidates(report) if c.metric == "npl_coverage_ratio")
    assert "⏎" in split.line and "69 %" in split.line
    # the CET1 sentence names a requirement: excluded rather than guessed
    assert not any(c.metric == "cet1_ratio" for c in extract_candidates(report))


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Total assets 1,837,081 1,802,259"], ("total_assets", 1837081, "millones EUR")),
        (["Common Equity Tier 1 (CET1) 12.2% 12.4%"], ("cet1_ratio", 12.2, "%")),
        (["Tasa de mora 3,0 % 3,4 %"], ("npl_ratio", 3.0, "%")),
        (
            ["El beneficio neto atribuido fue de", "1.775 millones de euros"],
            ("net_attributable_profit", 1775, "millones EUR"),
        ),
        (["Cost-to-income ratio 38.5% 40.9%"], ("cost_to_income", 38.5, "%")),
    ],
)
def test_candidates_in_lines(lines: list[str], expected: tuple) -> None:
    found = candidates_in_lines(lines, 7)
    assert (found[0].metric, found[0].value, found[0].unit, found[0].page) == (*expected, 7)


@pytest.fixture
def project_copy(tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(REPO_ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("exports", "finetuning"))
    (tmp_path / "datasets").mkdir()
    yield tmp_path
    project.use_root(None)


def test_extract_prints_a_table_and_writes_an_unconfirmed_draft(
    project_copy: Path, report: Path, capsys: pytest.CaptureFixture
) -> None:
    bank_file = project_copy / "data" / "processed" / "caixabank" / "caixabank_2024.json"
    extract = ["--root", str(project_copy), "reports", "extract", str(report), "--bank", "caixabank"]
    extract += ["--year", "2024", "--draft"]
    refused = main(extract)
    assert refused == 1 and "exists: a draft never overwrites" in capsys.readouterr().err
    bank_file.unlink()
    code = main(extract)
    out = capsys.readouterr().out
    assert code == 0 and "631.003 millones EUR" in out and "15,4 %" in out and "draft written" in out
    draft = json.loads(bank_file.read_text(encoding="utf-8"))
    assert set(draft["metrics"]) | set(draft["gaps"]) == set(TRACKED_METRICS)
    assert all(figure["confirmed"] is False for figure in draft["metrics"].values())
    assert draft["metrics"]["npl_coverage_ratio"]["source"] == {
        "document_id": "caixabank_2024_informe_gestion",
        "page": 2,
    }
    with pytest.raises(DataError, match="unconfirmed figure .found by `reports extract` in caixabank_2024"):
        load_bank_data(project_copy / "data" / "processed", project_copy / "data" / "banks_urls.json")
    assert main(["--root", str(project_copy), "validate"]) == 1
    assert 'set "confirmed": true' in capsys.readouterr().err
    for figure in draft["metrics"].values():  # a person checks each value and confirms it
        figure["confirmed"] = True
    bank_file.write_text(json.dumps(draft, ensure_ascii=False), encoding="utf-8")
    data = load_bank_data(project_copy / "data" / "processed", project_copy / "data" / "banks_urls.json")
    assert any(f.bank_id == "caixabank" and f.year == 2024 and f.value == 631003 for f in data.figures)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--document-id", "no_such_doc", "--draft", "x.json"], "is not a document of 'caixabank'"),
        (["--draft", "x.json", "--bank", "nobank"], "no bank 'nobank'"),
    ],
)
def test_extract_draft_needs_a_known_bank_and_document(
    project_copy: Path, report: Path, capsys: pytest.CaptureFixture, arguments: list[str], message: str
) -> None:
    base = ["--root", str(project_copy), "reports", "extract", str(report), "--bank", "caixabank", "--year", "2024"]
    assert main(base + arguments) == 1
    assert message in capsys.readouterr().err and not (project_copy / "x.json").exists()


@pytest.mark.parametrize("content", [b"no es un PDF", b"%PDF-1.4\n%%EOF", b""])
def test_extract_refuses_what_is_not_a_pdf(tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "informe.pdf"
    path.write_bytes(content)
    code = main(["reports", "extract", str(path), "--bank", "bbva", "--year", "2024"])
    err = capsys.readouterr().err
    assert code == 1 and "informe.pdf:0: file: not a readable PDF" in err and "Traceback" not in err


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves one byte string; honours ``Range: bytes=N-`` like a real document server."""

    body = b""
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).requests.append(self.headers.get("Range") or "full")
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(self.body) - start))
        self.end_headers()
        self.wfile.write(self.body[start:])

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server(report: Path) -> Iterator[str]:
    _RangeHandler.body = report.read_bytes()
    _RangeHandler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _urls(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "banks_urls.json"
    document = {"id": "prueba_2024_informe", "title": "Informe de prueba", "year": 2024, "kind": "banco", "url": url}
    banks = {"prueba": {"name": "Banco de Prueba", "investor_relations_url": url, "documents": [document]}}
    path.write_text(json.dumps({"banks": banks}), encoding="utf-8")
    return path


def test_fetch_records_checksums_caches_and_resumes(tmp_path: Path, server: str) -> None:
    urls, cache = _urls(tmp_path, f"{server}/informe.pdf"), tmp_path / "cache"
    body = _RangeHandler.body
    [first] = fetch_documents(cache=cache, urls_path=urls)
    assert first.status == "fetched" and first.path.read_bytes() == body
    manifest = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["prueba_2024_informe"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert manifest["prueba_2024_informe"]["bytes"] == len(body)
    [again] = fetch_documents(cache=cache, urls_path=urls)
    assert again.status == "cached" and _RangeHandler.requests == ["full"]  # no second download
    first.path.unlink()  # an interrupted download: half the file under .part
    first.path.with_name(first.path.name + ".part").write_bytes(body[: len(body) // 2])
    [resumed] = fetch_documents(cache=cache, urls_path=urls)
    assert resumed.status == "resumed" and resumed.path.read_bytes() == body
    assert _RangeHandler.requests[-1] == f"bytes={len(body) // 2}-"
    assert not list(cache.rglob("*.part"))
    assert fetch_documents(bank="otro", cache=cache, urls_path=urls) == []
    assert fetch_documents(year=2023, cache=cache, urls_path=urls) == []


def test_fetch_offline_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connection refused, as when offline
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    urls, cache = _urls(tmp_path, f"http://127.0.0.1:{port}/informe.pdf"), tmp_path / "cache"
    [outcome] = fetch_documents(cache=cache, urls_path=urls, timeout=5)
    assert outcome.status == "failed" and f"127.0.0.1:{port}" in outcome.detail
    assert not (cache / "manifest.json").exists() and not list(cache.rglob("*.pdf"))


def test_fetch_command_exit_code_and_message(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "datasets").mkdir()
    _urls(root / "data", f"http://127.0.0.1:{port}/informe.pdf")
    try:
        assert main(["--root", str(root), "reports", "fetch", "--timeout", "5"]) == 1
    finally:
        project.use_root(None)
    captured = capsys.readouterr()
    assert "failed   prueba_2024_informe" in captured.out and "Run the same command again when online" in captured.err
