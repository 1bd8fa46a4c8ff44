"""The original guide's inference script, on top of ``regllm-lf chat``.

python scripts/use_banking_model.py --model-path saves/qwen7b/merged --mode single --query "..."
python scripts/use_banking_model.py --model-path saves/qwen7b/lora/sft --mode interactive
python scripts/use_banking_model.py --base-url http://localhost:8000/v1 --mode single --query "..."
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regllm_lf.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["chat", *sys.argv[1:]]))
