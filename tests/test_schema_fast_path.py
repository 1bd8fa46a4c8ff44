"""The compiled fast path (fastjsonschema) and jsonschema agree on every verdict, so skipping jsonschema for
rows the fast path accepts never hides a problem."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from test_validate_fuzz import BASE, mutated_rows

from regllm_lf.core.schema import is_valid, validator
from regllm_lf.tasks.registry import builtin_tasks


@settings(max_examples=300, deadline=None)
@given(mutated_rows())
def test_row_schema_verdicts_agree(row: object) -> None:
    assert is_valid("row", row) == validator("row").is_valid(row)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(builtin_tasks()),
    st.dictionaries(
        st.sampled_from(["facts", "sources", "findings", "compliant", "source", "title", "citations", "id"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False),
            st.text(max_size=5),
            st.lists(st.text(max_size=4), max_size=3),
            st.lists(
                st.dictionaries(
                    st.sampled_from(["bank_id", "year", "metric", "value", "unit"]),
                    st.one_of(st.integers(), st.text(max_size=3), st.booleans(), st.floats(allow_nan=False)),
                    max_size=5,
                ),
                max_size=2,
            ),
        ),
        max_size=6,
    ),
)
def test_task_metadata_verdicts_agree(task: object, metadata: dict) -> None:
    from jsonschema import Draft202012Validator

    assert is_valid(task.metadata_schema, metadata) == Draft202012Validator(task.metadata_schema).is_valid(metadata)


def test_fast_path_rejects_what_jsonschema_rejects() -> None:
    broken = json.loads(json.dumps(BASE))
    broken["messages"][1]["role"] = "gpt"
    assert not is_valid("row", broken) and not validator("row").is_valid(broken)
    assert is_valid("row", BASE) and validator("row").is_valid(BASE)
