"""The original guide's entry point: regenerates data/finetuning/banking_qa_dataset.jsonl."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regllm_lf.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["generate", "banking", *sys.argv[1:]]))
