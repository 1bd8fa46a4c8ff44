"""P1 + P2: real-token ratio, loss-token ratio and epoch wall time — our qwen7b recipe's data settings
(LLaMA-Factory, neat_packing, loss on answers only) vs the original guide's plain-Transformers approach
(section 4 Option C: every example padded to 2048 tokens, loss on every token; we add the labels it
forgot so that it runs). Same tiny random Qwen2 and tokenizer, same train splits, one epoch each, on CPU.

    .venv/bin/python scripts/bench_training_efficiency.py
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regllm_lf.core.jsonio import read_records  # noqa: E402
from regllm_lf.demo.round_trip import offline_environment, train_tiny  # noqa: E402
from regllm_lf.demo.tiny_models import build_qwen2  # noqa: E402
from regllm_lf.tasks.registry import all_tasks  # noqa: E402

GUIDE_MAX_LENGTH = 2048
GUIDE_BATCH, GUIDE_ACCUMULATION = 2, 8


def train_rows() -> list[dict]:
    return [r.data for d in all_tasks() for r in read_records(d.split_file("train"), [])]


def ours_token_counts(model_dir: Path, work: Path) -> dict[str, float]:
    """Tokens LLaMA-Factory feeds the model with the recipe's data settings (batch 1, as the recipe)."""
    import yaml
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    recipe = yaml.safe_load((ROOT / "recipes" / "qwen7b_lora.yaml").read_text())
    keep = (
        "stage",
        "do_train",
        "finetuning_type",
        "dataset",
        "dataset_dir",
        "template",
        "default_system",
        "cutoff_len",
        "neat_packing",
        "per_device_train_batch_size",
    )
    arguments = {key: recipe[key] for key in keep}
    arguments |= {
        "model_name_or_path": str(model_dir),
        "output_dir": str(work),
        "overwrite_cache": True,
        "report_to": "none",
        "dataset_dir": str(ROOT / "datasets"),
    }
    model_args, data_args, training_args, _, _ = get_train_args(arguments)
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # LLaMA-Factory prints an example
        module = get_dataset(template, model_args, data_args, training_args, "sft", **tokenizer_module)
    dataset = module["train_dataset"]
    batch = recipe["per_device_train_batch_size"]
    lengths = [len(ids) for ids in dataset["input_ids"]]
    # Packed rows are padded up to cutoff_len; the attention mask marks real tokens (segment ids, 0 = padding).
    real = sum(sum(1 for value in mask if value) for mask in dataset["attention_mask"])
    loss_tokens = sum(sum(1 for label in labels if label != -100) for labels in dataset["labels"])
    processed = 0
    for start in range(0, len(lengths), batch):
        longest = max(lengths[start : start + batch])
        processed += -(-longest // 8) * 8 * len(lengths[start : start + batch])  # collator pads to a multiple of 8
    return {"sequences": len(lengths), "real": real, "processed": processed, "loss": loss_tokens}


def guide_dataset(model_dir: Path):  # noqa: ANN201
    """Option C's format function, with labels = input_ids (the missing piece) so that Trainer can run."""
    from transformers import AutoTokenizer

    from datasets import Dataset

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.pad_token = tokenizer.eos_token  # as in the guide

    def format_example(example: dict) -> dict:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in example["messages"])
        encoded = tokenizer(text, truncation=True, max_length=GUIDE_MAX_LENGTH, padding="max_length")
        encoded["labels"] = list(encoded["input_ids"])  # loss on every token, padding included
        return encoded

    rows = Dataset.from_list([{"messages": row["messages"]} for row in train_rows()])
    return rows.map(format_example, remove_columns=["messages"])


def guide_token_counts(dataset) -> dict[str, float]:  # noqa: ANN001
    real = sum(sum(mask) for mask in dataset["attention_mask"])
    processed = len(dataset) * GUIDE_MAX_LENGTH
    return {"sequences": len(dataset), "real": real, "processed": processed, "loss": processed}


def guide_epoch_seconds(model_dir: Path, dataset, work: Path) -> float:  # noqa: ANN001
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(
        model,
        LoraConfig(
            r=64, lora_alpha=128, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], task_type="CAUSAL_LM"
        ),
    )
    arguments = TrainingArguments(
        output_dir=str(work),
        num_train_epochs=1,
        per_device_train_batch_size=GUIDE_BATCH,
        gradient_accumulation_steps=GUIDE_ACCUMULATION,
        learning_rate=2e-4,
        report_to="none",
        save_strategy="no",
        logging_steps=50,
        use_cpu=True,
    )
    started = time.perf_counter()
    Trainer(model=model, args=arguments, train_dataset=dataset).train()
    return time.perf_counter() - started


def ours_epoch_seconds(model_dir: Path, work: Path) -> float:
    extra = {"num_train_epochs": "1", "eval_steps": "100000", "save_steps": "100000"}
    started = time.perf_counter()
    out = train_tiny(model_dir, work / "ours", work / "ours.log", str(ROOT / "recipes" / "qwen7b_lora.yaml"), -1, extra)
    elapsed = time.perf_counter() - started
    runtime = json.loads((out / "train_results.json").read_text())["train_runtime"]
    return float(runtime) if runtime else elapsed


def main() -> None:
    os.environ.update(offline_environment())
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model_dir = build_qwen2(work / "tiny")
        ours = ours_token_counts(model_dir, work / "probe")
        guide_data = guide_dataset(model_dir)
        guide = guide_token_counts(guide_data)
        print("P1 — share of processed tokens that are real (not padding), one epoch over the train splits")
        for name, counts in (("ours (neat_packing, cutoff 3072)", ours), ("guide Option C (pad to 2048)", guide)):
            print(
                f"  {name:34} sequences {counts['sequences']:5}  real {counts['real']:9,}  processed "
                f"{counts['processed']:9,}  real share {counts['real'] / counts['processed']:6.1%}  "
                f"loss share {counts['loss'] / counts['processed']:6.1%}"
            )
        print(f"  processed-token ratio guide/ours: {guide['processed'] / ours['processed']:.2f}x")
        print("P2 — one-epoch wall time on this CPU, same tiny Qwen2 (LoRA), one run each")
        ours_seconds = ours_epoch_seconds(model_dir, work)
        guide_seconds = guide_epoch_seconds(model_dir, guide_data, work / "guide")
        ratio = guide_seconds / ours_seconds
        print(f"  ours {ours_seconds:7.1f} s   guide {guide_seconds:7.1f} s   ratio guide/ours {ratio:.2f}x")


if __name__ == "__main__":
    main()
