"""What only code can say about banking Q&A: the generator, metrics, hard negatives."""

from regllm_lf.tasks.banking_qa.generate import generate_banking_rows as generate_rows
from regllm_lf.tasks.banking_qa.metrics import score
from regllm_lf.tasks.banking_qa.negatives import negatives

__all__ = ["generate_rows", "negatives", "score"]
