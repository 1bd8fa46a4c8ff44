"""Regenerate the README's hardware table from ``regllm-lf estimate`` for every LoRA and QLoRA recipe."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regllm_lf.train.estimate import estimate_recipe, markdown_table  # noqa: E402

START, END = "<!-- hardware-table:start -->", "<!-- hardware-table:end -->"

if __name__ == "__main__":
    recipes = sorted([*(ROOT / "recipes").glob("*_lora.yaml"), *(ROOT / "recipes").glob("*_qlora.yaml")])
    table = markdown_table([estimate_recipe(path) for path in recipes])
    readme = ROOT / "README.md"
    head, _, rest = readme.read_text(encoding="utf-8").partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    print(table)
