"""Every SFT row's metadata has one shape on disk (id, dataset, topic, details: four strings), so that any
of our JSONL files loads together with any other in ``datasets.load_dataset("json", ...)``; in memory the
code sees each task's rich dict (``core.row_metadata``)."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from helpers import DATA_DIR, DATASETS_DIR

from regllm_lf.cli import main
from regllm_lf.core.jsonio import read_records
from regllm_lf.core.row_metadata import (
    MetadataError,
    decode_metadata,
    decode_row,
    details_text,
    dump_rows,
    dump_rows_json,
    encode_metadata,
    encode_row,
)
from regllm_lf.tasks.registry import SPLITS, all_tasks

SQL_SOURCE = DATA_DIR / "finetuning" / "sql_methodology_comparison_dataset.jsonl"
BANKING_SOURCE = DATA_DIR / "finetuning" / "banking_qa_dataset.jsonl"
REGULATION_SOURCE = DATA_DIR / "processed" / "train_data.json"
SPLIT_FILES = [task.split_file(split) for task in all_tasks() for split in SPLITS]
SFT_FILES = [*SPLIT_FILES, SQL_SOURCE, BANKING_SOURCE, REGULATION_SOURCE]  # the last one a JSON array
TRAIN_FILES = [task.split_file("train") for task in all_tasks()]


def _rich(path: Path) -> list[dict]:
    """The rows' metadata as the code sees it (read through core.jsonio, which decodes)."""
    problems: list = []
    rows = [record.data["metadata"] for record in read_records(path, problems)]
    assert problems == []
    return rows


def test_every_sft_file_on_disk_has_the_one_metadata_shape() -> None:
    for path in [*SFT_FILES, DATA_DIR / "exports" / "combined_training_dataset.json"]:
        text = path.read_text(encoding="utf-8")
        rows = json.loads(text) if path.suffix == ".json" else [json.loads(line) for line in text.splitlines()]
        assert rows, path
        for row in rows:
            metadata = row["metadata"]
            assert list(metadata) == ["id", "dataset", "topic", "details"], (path, metadata)
            assert all(isinstance(value, str) for value in metadata.values()), (path, metadata)
            assert isinstance(json.loads(metadata["details"]), dict)


def _load_together(files: list[Path], cache: Path) -> None:
    import datasets

    loaded = datasets.load_dataset("json", data_files={"train": [str(path) for path in files]}, cache_dir=str(cache))
    expected = [metadata for path in files for metadata in _rich(path)]
    rows = loaded["train"]
    assert len(rows) == len(expected), [path.name for path in files]
    got = [{**{k: m[k] for k in ("id", "dataset", "topic")}, **json.loads(m["details"])} for m in rows["metadata"]]
    assert got == expected, [path.name for path in files]


def test_every_pair_and_the_train_triple_load_together_with_datasets(tmp_path: Path) -> None:
    """Arrow takes the first file's schema and casts the others to it: both orders of every pair."""
    import datasets

    datasets.disable_progress_bars()
    combinations = [list(pair) for pair in itertools.permutations(SFT_FILES, 2)]
    combinations += [list(triple) for triple in itertools.permutations(TRAIN_FILES)]
    for files in combinations:
        _load_together(files, tmp_path / "cache")


def test_option_c_of_the_guide_loads(tmp_path: Path) -> None:
    import datasets

    loaded = datasets.load_dataset(
        "json", data_files={"train": [str(SQL_SOURCE), str(BANKING_SOURCE)]}, cache_dir=str(tmp_path)
    )
    metadata = loaded["train"][0]["metadata"]
    assert set(metadata) == {"id", "dataset", "topic", "details"}
    assert json.loads(metadata["details"])["reference_date"]  # the one-liner the README gives


# --- the codec ---------------------------------------------------------------------------------------

BANKING = {
    "id": "bank-1",
    "dataset": "banking_qa",
    "topic": "dato_puntual",
    "facts": [{"bank_id": "bbva", "year": 2024, "metric": "roe", "value": 19.7, "unit": "%"}],
    "sources": ["Informe anual 2024, p. 12"],
}


def test_encode_and_decode_round_trip_for_every_dataset() -> None:
    for path in (SQL_SOURCE, BANKING_SOURCE, REGULATION_SOURCE):
        for metadata in _rich(path):
            encoded = encode_metadata(metadata)
            assert list(encoded) == ["id", "dataset", "topic", "details"]
            assert decode_metadata(encoded) == metadata
            assert encode_metadata(encoded) == encoded  # encoding an encoded dict normalises, changes nothing


def test_details_text_is_compact_sorted_and_keeps_accents() -> None:
    encoded = encode_metadata({**BANKING, "sources": ["Información, p. 3"]})
    assert encoded["details"] == details_text({"sources": ["Información, p. 3"], "facts": BANKING["facts"]})
    assert encoded["details"].startswith('{"facts":[{"bank_id":"bbva","metric":"roe","unit":"%","value":19.7,')
    assert "Información" in encoded["details"] and ": " not in encoded["details"]


def test_rich_rows_pass_unchanged_and_preference_pairs_are_left_alone() -> None:
    row = {"messages": [], "metadata": BANKING}
    assert decode_row(row) is row  # the rich shape (a user's own file) is accepted as it is
    pair = {"messages": [], "chosen": {}, "rejected": {}, "metadata": {"id": "dpo-1", "source_id": "x"}}
    assert encode_row(pair) is pair and decode_row(pair) is pair
    assert json.loads(dump_rows([row]))["metadata"] == encode_metadata(BANKING)
    assert json.loads(dump_rows_json([row]))[0]["metadata"] == encode_metadata(BANKING)


def test_hand_written_sources_are_in_the_written_shape_byte_for_byte() -> None:
    """Reading and writing the SQL and regulation sources gives back their exact bytes (as the build and
    `import-csv` write them), so no edit round trip reformats them."""
    for path, dump in ((SQL_SOURCE, dump_rows), (REGULATION_SOURCE, dump_rows_json)):
        problems: list = []
        rows = [record.data for record in read_records(path, problems)]
        assert problems == [] and dump(rows) == path.read_text(encoding="utf-8"), path.name


# --- a details that is not a JSON object text is the user's error, with its line and field -------------

ROW = {
    "messages": [{"role": "user", "content": "¿ROE de BBVA en 2024?"}, {"role": "assistant", "content": "19,7 %."}],
    "metadata": encode_metadata(BANKING),
}


def _with_metadata(**changes: object) -> dict:
    metadata = {**ROW["metadata"], **changes}
    return {**ROW, "metadata": {key: value for key, value in metadata.items() if value is not None}}


@pytest.mark.parametrize(
    ("row", "field", "fragment"),
    [
        (_with_metadata(details="{facts: []}"), "metadata.details", "not JSON text: Expecting property name"),
        (_with_metadata(details=""), "metadata.details", "not JSON text: Expecting value"),
        (_with_metadata(details="[1, 2]"), "metadata.details", "must be the text of a JSON object, not of an array"),
        (_with_metadata(details='"facts"'), "metadata.details", "must be the text of a JSON object, not of a string"),
        (_with_metadata(details="null"), "metadata.details", "not of null"),
        (_with_metadata(details={"facts": []}), "metadata.details", "must be a string holding a JSON object"),
        (_with_metadata(details=7), "metadata.details", "not a number"),
        (_with_metadata(details='{"facts": [{"value": NaN}]}'), "metadata.details", "facts[0].value: NaN is not"),
        (_with_metadata(details='{"id": "x", "facts": []}'), "metadata.details", "'id' belongs beside details"),
        (_with_metadata(sources=["p. 3"]), "metadata.sources", "belongs inside metadata.details"),
    ],
)
def test_bad_details_is_reported_with_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: dict, field: str, fragment: str
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(dump_rows([ROW]) + json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["validate", "--no-domain", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"rows.jsonl:2: {field}: " in err and fragment in err, err
    assert "Traceback" not in err and "rows.jsonl:1:" not in err
    with pytest.raises(MetadataError):
        decode_metadata(row["metadata"])


@pytest.mark.parametrize(
    ("details", "field", "fragment"),
    [
        ({"sources": []}, "metadata", "'facts' is a required property"),  # a key missing inside details
        ({**BANKING, "facts": [{**BANKING["facts"][0], "value": "19,7"}]}, "metadata.facts[0].value", "not of type"),
    ],
)
def test_schema_errors_inside_details_name_the_field_as_in_the_rich_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], details: dict, field: str, fragment: str
) -> None:
    """A task's schema checks the decoded dict: a field inside details is named as the rich shape names it
    (``metadata.facts[0].value``), the same for a file in either shape."""
    rich = {key: value for key, value in details.items() if key not in ("id", "dataset", "topic")}
    rich = {"id": "bank-9", "dataset": "banking_qa", "topic": "dato_puntual", **rich}
    for shape, metadata in (("encoded", encode_metadata(rich)), ("rich", rich)):
        path = tmp_path / f"{shape}.jsonl"
        path.write_text(json.dumps({**ROW, "metadata": metadata}, ensure_ascii=False) + "\n", encoding="utf-8")
        assert main(["validate", "--no-domain", str(path)]) == 1
        err = capsys.readouterr().err
        assert f"{shape}.jsonl:1: {field}: " in err and fragment in err, err


def test_build_writes_a_rich_source_row_encoded_and_leaves_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row added to a hand-written source with rich metadata (the guide's shape) is accepted and the
    build rewrites the source in the one shape, every other byte as before."""
    root = tmp_path / "project"
    shutil.copytree(DATA_DIR, root / "data")
    shutil.copytree(DATASETS_DIR, root / "datasets")
    monkeypatch.setenv("REGLLM_ROOT", str(root))
    source = root / "data" / "finetuning" / SQL_SOURCE.name
    committed = source.read_text(encoding="utf-8")
    lines = committed.splitlines(keepends=True)
    rich = decode_row(json.loads(lines[4]))
    assert "findings" in rich["metadata"]
    lines[4] = json.dumps(rich, ensure_ascii=False) + "\n"
    source.write_text("".join(lines), encoding="utf-8")
    assert main(["validate", str(source)]) == 0
    assert main(["build"]) == 0
    assert source.read_text(encoding="utf-8") == committed
    for path in DATASETS_DIR.glob("*.jsonl"):
        assert (root / "datasets" / path.name).read_bytes() == path.read_bytes(), path.name
