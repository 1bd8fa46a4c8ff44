"""What only code can say about SQL reviews: domain rules, metrics, hard negatives."""

from regllm_lf.tasks.sql_review.metrics import score
from regllm_lf.tasks.sql_review.negatives import negatives
from regllm_lf.tasks.sql_review.rules import load_catalogues, row_problems

__all__ = ["load_catalogues", "negatives", "row_problems", "score"]
