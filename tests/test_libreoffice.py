"""The spreadsheet round trip through a real LibreOffice (Debian's, headless; installed here if missing):
export → open → save as a semicolon CSV (UTF-8, Spanish locale) and as the default Windows-1252 CSV
(English locale) → ``import-csv`` changes nothing; an edit made before the save lands exactly.

The import options are the dialog's defaults (no special-number detection, formulas not evaluated).
Windows-1252 cannot hold ❌, ⚠️, → or −: LibreOffice writes ``?``, and the import must not take that
for an edit.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import DATA_DIR

from regllm_lf.cli import main
from regllm_lf.prepare.spreadsheet_export import export_all

SHEETS = ("sql_methodology_comparison.csv", "regulation_qa.csv", "spanish_banks_financials.csv")
EDITED_PREFIX = "edited-"
# (name, import options: comma, ", UTF-8, from line 1, language; export options: delimiter, ", charset)
VARIANTS = {
    "semicolon-utf8-es": ("44,34,76,1,,3082,false,false,false,false,false,-1,false", "59,34,76,1"),
    "default-cp1252-en": ("44,34,76,1,,1033,false,false,false,false,false,-1,false", "44,34,1,1"),
}
EDIT = 'Pregunta editada en LibreOffice: ¿año, "cita" y 713.140 € (señal)?'


def soffice_path() -> str:
    """Debian's LibreOffice Calc; the test set-up installs it with apt-get when it is missing."""
    found = shutil.which("soffice")
    if found is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "libreoffice-calc-nogui"]
        subprocess.run(install, check=True)
        found = shutil.which("soffice")
    assert found, "LibreOffice could not be installed"
    return found


def _snapshot(data: Path) -> dict[str, bytes]:
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def _edit_regulation(source: Path, target: Path) -> str:
    """A copy of the regulation export with one question rewritten; returns that row's id."""
    rows = list(csv.reader(io.StringIO(source.read_bytes().decode("utf-8-sig"), newline="")))
    rows[5][rows[0].index("user")] = EDIT
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    target.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    return rows[5][0]


def _save_as(soffice: str, files: list[Path], variant: str, out: Path, profile: Path) -> None:
    """Open every file with LibreOffice's CSV import and save it again: one soffice run for all."""
    import_options, export_options = VARIANTS[variant]
    command = [
        soffice,
        "--headless",
        "--norestore",
        f"-env:UserInstallation={profile.as_uri()}",
        f"--infilter=CSV:{import_options}",
        "--convert-to",
        f"csv:Text - txt - csv (StarCalc):{export_options}",
        "--outdir",
        str(out),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LibreOffice user profile for both saves (creating it is most of the first run's time)."""
    return tmp_path_factory.mktemp("soffice-profile")


@pytest.mark.slow  # ~30 s: two LibreOffice runs, the first creating its profile
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_libreoffice_round_trip_changes_nothing_and_keeps_an_edit(
    variant: str,
    profile: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    soffice = soffice_path()
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (tmp_path / "datasets").mkdir()
    monkeypatch.setenv("REGLLM_ROOT", str(tmp_path))
    exported = tmp_path / "exported"
    export_all(exported)
    edited = exported / f"{EDITED_PREFIX}regulation_qa.csv"
    edited_id = _edit_regulation(exported / "regulation_qa.csv", edited)
    saved = tmp_path / "saved"
    _save_as(soffice, [*(exported / name for name in SHEETS), edited], variant, saved, profile)
    if variant.endswith("cp1252-en"):  # the save really is lossy: our ❌ and − became '?'
        assert b"?" in (saved / "sql_methodology_comparison.csv").read_bytes()
        assert "❌".encode() not in (saved / "sql_methodology_comparison.csv").read_bytes()
    else:
        assert (saved / "regulation_qa.csv").read_bytes().count(b'";"') > 100

    before = _snapshot(data)
    for name in SHEETS:
        assert main(["import-csv", str(saved / name)]) == 0, capsys.readouterr().err
        assert "0 row(s) changed" in capsys.readouterr().out
    assert _snapshot(data) == before

    final = tmp_path / "final" / "regulation_qa.csv"
    final.parent.mkdir()
    shutil.copy(saved / edited.name, final)
    assert main(["import-csv", str(final)]) == 0, capsys.readouterr().err
    assert "1 row(s) changed" in capsys.readouterr().out
    after = _snapshot(data)
    assert [name for name in after if after[name] != before[name]] == ["processed/train_data.json"]
    rows = {row["metadata"]["id"]: row for row in json.loads(after["processed/train_data.json"])}
    assert [m["content"] for m in rows[edited_id]["messages"] if m["role"] == "user"] == [EDIT]
