"""P1 + P2: real-token share and epoch time — our qwen7b recipe's data settings through LLaMA-Factory
(neat_packing, loss on answers only) vs the original guide's Option C (section 4: every example padded to
2048 tokens, labels = input_ids, loss on every token). Same random-weight Qwen2.5-architecture model,
same train splits, same device, one epoch each, in alternating fresh processes, repeated.

    .venv/bin/python scripts/bench_training_efficiency.py --model-size tiny --device cpu --repeats 3
    python scripts/bench_training_efficiency.py --model-size 7b --device cuda [--liger] [--flash-attn fa2]

Models are built from a config with random weights (no download): ``tiny`` is the test suite's 2-layer
Qwen2; ``1.5b`` and ``7b`` take the public Qwen2.5-1.5B/7B-Instruct dimensions. Random weights time
exactly like trained ones. The tokenizer is the one trained on our texts (ids below Qwen's vocabulary).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regllm_lf.core.jsonio import read_records  # noqa: E402
from regllm_lf.demo.round_trip import offline_environment  # noqa: E402
from regllm_lf.demo.tiny_models import build_qwen2  # noqa: E402
from regllm_lf.tasks.registry import all_tasks  # noqa: E402

# Public Qwen2.5 configs (config.json of Qwen/Qwen2.5-{1.5B,7B}-Instruct).
QWEN25 = {
    "1.5b": {
        "hidden_size": 1536,
        "intermediate_size": 8960,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "tie_word_embeddings": True,
    },
    "7b": {
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "vocab_size": 152064,
        "tie_word_embeddings": False,
    },
}
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


def build_model(size: str, work: Path, cuda: bool) -> Path:
    """A random-weight model directory of the given size (tokenizer from the tiny model)."""
    tiny = build_qwen2(work / "tiny")
    if size == "tiny":
        return tiny
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config

    config = Qwen2Config(**QWEN25[size], max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6)
    config.torch_dtype = "bfloat16" if cuda else "float32"
    model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16 if cuda else torch.float32)
    out = work / size
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny).save_pretrained(out)
    return out


def run_ours(model_dir: Path, out: Path, cuda: bool, liger: bool, flash: str | None) -> dict:
    """One epoch of the recipe's settings through LLaMA-Factory, in this process (for peak GPU memory)."""
    import yaml
    from llamafactory.train.tuner import run_exp

    arguments = yaml.safe_load((ROOT / "recipes" / "qwen7b_lora.yaml").read_text())
    arguments |= {
        "model_name_or_path": str(model_dir),
        "output_dir": str(out),
        "dataset_dir": str(ROOT / "datasets"),
        "num_train_epochs": 1,
        "max_steps": -1,
        "bf16": cuda,
        "eval_steps": 100000,
        "save_steps": 100000,
        "save_strategy": "no",
        "report_to": "none",
        "overwrite_output_dir": True,
        "enable_liger_kernel": liger,
    }
    for key in ("eval_dataset", "val_size", "eval_strategy", "do_eval", "load_best_model_at_end"):
        arguments.pop(key, None)
    if flash:
        arguments["flash_attn"] = flash
    run_exp(arguments)
    return {"seconds": float(json.loads((out / "train_results.json").read_text())["train_runtime"])}


def run_guide(model_dir: Path, out: Path, cuda: bool, liger: bool, flash: str | None) -> dict:
    """Option C: Trainer over the padded dataset, LoRA as the guide's, loss on every token."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    extra = {"attn_implementation": "flash_attention_2"} if flash == "fa2" else {}
    dtype = torch.bfloat16 if cuda else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=dtype, **extra)
    model = get_peft_model(
        model,
        LoraConfig(
            r=64, lora_alpha=128, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], task_type="CAUSAL_LM"
        ),
    )
    arguments = TrainingArguments(
        output_dir=str(out),
        num_train_epochs=1,
        per_device_train_batch_size=GUIDE_BATCH,
        gradient_accumulation_steps=GUIDE_ACCUMULATION,
        learning_rate=2e-4,
        report_to="none",
        save_strategy="no",
        logging_steps=50,
        use_cpu=not cuda,
        bf16=cuda,
        use_liger_kernel=liger,
    )
    metrics = Trainer(model=model, args=arguments, train_dataset=guide_dataset(model_dir)).train().metrics
    return {"seconds": float(metrics["train_runtime"])}


def run_child(which: str, model_dir: Path, out: Path, cuda: bool, liger: bool, flash: str | None) -> dict:
    os.environ.update(offline_environment())
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        result = (run_ours if which == "ours" else run_guide)(model_dir, out, cuda, liger, flash)
    if cuda:
        import torch

        result["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return result


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):7.1f}  min {min(values):7.1f}  max {max(values):7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description="P1 + P2: our recipe vs the guide's Option C, same model and device")
    parser.add_argument("--model-size", choices=("tiny", "1.5b", "7b"), default="tiny")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, alternating (default 3)")
    parser.add_argument("--liger", action="store_true", help="enable_liger_kernel / use_liger_kernel")
    parser.add_argument("--flash-attn", choices=("fa2",), default=None)
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "MODEL", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    cuda = arguments.device == "cuda"
    if arguments.child:
        which, model, out = arguments.child
        result = run_child(which, Path(model), Path(out), cuda, arguments.liger, arguments.flash_attn)
        print("RESULT " + json.dumps(result))
        return
    os.environ.update(offline_environment())
    environment = {**os.environ, **({} if cuda else {"CUDA_VISIBLE_DEVICES": ""})}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model_dir = build_model(arguments.model_size, work, cuda)
        counts = {
            "ours": ours_token_counts(model_dir, work / "probe"),
            "guide": guide_token_counts(guide_dataset(model_dir)),
        }
        print("P1 — share of processed tokens that are real (not padding), one epoch over the train splits")
        for name, label in (("ours", "ours (neat_packing, cutoff 3072)"), ("guide", "guide Option C (pad to 2048)")):
            c = counts[name]
            print(
                f"  {label:34} sequences {c['sequences']:5}  real {c['real']:9,}  processed {c['processed']:9,}  "
                f"real share {c['real'] / c['processed']:6.1%}  loss share {c['loss'] / c['processed']:6.1%}"
            )
        print(f"  processed-token ratio guide/ours: {counts['guide']['processed'] / counts['ours']['processed']:.2f}x")
        flags = [
            *(["--liger"] if arguments.liger else []),
            *(["--flash-attn", arguments.flash_attn] if arguments.flash_attn else []),
        ]
        runs: dict[str, list[dict]] = {"ours": [], "guide": []}
        for repeat in range(arguments.repeats):
            for which in ("ours", "guide") if repeat % 2 == 0 else ("guide", "ours"):
                command = [
                    sys.executable,
                    __file__,
                    "--device",
                    arguments.device,
                    *flags,
                    "--child",
                    which,
                    str(model_dir),
                    str(work / f"{which}{repeat}"),
                ]
                output = subprocess.run(command, capture_output=True, text=True, env=environment)
                lines = [line for line in output.stdout.splitlines() if line.startswith("RESULT ")]
                if output.returncode or not lines:
                    sys.exit(f"{which} run failed:\n{output.stderr[-3000:]}")
                runs[which].append(json.loads(lines[-1][len("RESULT ") :]))
                print(f"  run {repeat + 1} {which}: {runs[which][-1]['seconds']:.1f} s", flush=True)
        print(
            f"P2 — one epoch, {arguments.model_size} Qwen2.5-architecture random weights + LoRA, {arguments.device}"
            f"{' liger' if arguments.liger else ''}{' ' + arguments.flash_attn if arguments.flash_attn else ''}, "
            f"{arguments.repeats} runs each, alternating"
        )
        for which in ("ours", "guide"):
            seconds = [run["seconds"] for run in runs[which]]
            middle = statistics.median(seconds)
            memory = [run["peak_gib"] for run in runs[which] if "peak_gib" in run]
            print(
                f"  {which:5} epoch s {spread(seconds)}  tokens/s {counts[which]['processed'] / middle:9,.0f}  "
                f"real tokens/s {counts[which]['real'] / middle:9,.0f}"
                + (f"  peak GPU {max(memory):.1f} GiB" if memory else "")
            )
        ratios = [g["seconds"] / o["seconds"] for o, g in zip(runs["ours"], runs["guide"], strict=True)]
        print(f"  epoch-time ratio guide/ours: {spread(ratios).replace('  ', ' ')} (per repetition pair)")


if __name__ == "__main__":
    main()
