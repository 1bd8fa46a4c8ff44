"""What only code can say about banking Q&A: the generator, metrics, hard negatives, source checks."""

from regllm_lf.core.problems import DataError, Problem
from regllm_lf.tasks.banking_qa.generate import generate_banking_rows as generate_rows
from regllm_lf.tasks.banking_qa.metrics import score
from regllm_lf.tasks.banking_qa.negatives import negatives


def source_problems() -> list[Problem]:
    """Every problem in the bank figure files (unconfirmed drafts included), for `regllm-lf validate`."""
    from regllm_lf.tasks.banking_qa.figures import load_bank_data  # noqa: PLC0415

    try:
        load_bank_data()
    except DataError as error:
        return error.problems
    return []


__all__ = ["generate_rows", "negatives", "score", "source_problems"]
