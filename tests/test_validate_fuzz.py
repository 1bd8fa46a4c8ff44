"""Fuzzing ``validate``: mutated rows never crash it; each is accepted or gets a file:line error."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regllm_lf.prepare.validate import validate_files

BASE = {
    "messages": [
        {"role": "system", "content": "Eres un experto en riesgo de crédito."},
        {"role": "user", "content": "¿Qué es la LGD?"},
        {"role": "assistant", "content": "La pérdida en caso de default."},
    ],
    "metadata": {"id": "fuzz-1", "dataset": "banking_qa", "topic": "dato_puntual", "facts": [], "sources": []},
}
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.just("x" * 200_000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["user", "assistant", "system", "gpt", "human", "\ud800"]),
)
PROBLEM_LINE = re.compile(r"^[^:]+:\d+: \S.*: .+")


@st.composite
def mutated_rows(draw: st.DrawFn) -> object:
    row = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["drop", "replace", "swap", "shuffle", "top"]))
        messages = row.get("messages") if isinstance(row, dict) else None
        if action == "top":
            row = draw(ODD_VALUES)
            continue
        if not isinstance(row, dict):
            continue
        if action == "drop":
            key = draw(st.sampled_from(["messages", "metadata"]))
            row.pop(key, None)
        elif action == "replace" and isinstance(messages, list) and messages:
            index = draw(st.integers(min_value=0, max_value=len(messages) - 1))
            if isinstance(messages[index], dict):
                messages[index][draw(st.sampled_from(["role", "content", "extra"]))] = draw(ODD_VALUES)
            else:
                messages[index] = draw(ODD_VALUES)
        elif action == "swap" and isinstance(messages, list) and len(messages) > 1:
            i, j = draw(st.permutations(range(len(messages))))[:2]
            messages[i], messages[j] = messages[j], messages[i]
        elif action == "shuffle" and isinstance(row.get("metadata"), dict):
            row["metadata"][draw(st.sampled_from(["id", "dataset", "topic", "facts"]))] = draw(ODD_VALUES)
    return row


def _check(path: Path) -> None:
    problems, _ = validate_files([path], domain=False)
    for problem in problems:
        assert PROBLEM_LINE.match(str(problem)), str(problem)
        assert problem.line >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_rows())
def test_mutated_rows_never_crash(row: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.jsonl"
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8", errors="surrogatepass")
        _check(path)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("fuzz.jsonl", "fuzz.json"):
            path = Path(folder) / name
            path.write_bytes(json.dumps(BASE).encode()[: len(blob) % 200] + blob)
            _check(path)
