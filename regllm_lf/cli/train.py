"""Subcommands of the training stage: train, recipes, estimate."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.cli.common import add_command


def command_train(arguments: argparse.Namespace) -> int:
    from regllm_lf.train.launch import TrainOptions, llamafactory_cli, train_command
    from regllm_lf.train.models import model_named

    options = TrainOptions(
        model=model_named(arguments.model),
        qlora=arguments.qlora,
        epochs=arguments.epochs,
        batch_size=arguments.batch_size,
        learning_rate=arguments.lr,
        small_subset=arguments.small_subset,
        data=arguments.data,
        output_dir=arguments.output_dir,
        extra=arguments.extra,
    )
    argv = train_command(options)
    print(shlex.join(argv), flush=True)
    if arguments.print_only:
        return 0
    from regllm_lf.evaluation.manifest import ManifestError, write_training_manifest

    overrides = dict(item.split("=", 1) for item in argv[3:])  # llamafactory-cli train RECIPE key=value ...
    try:
        manifest = write_training_manifest(Path(options.model.recipe(options.qlora)), overrides, argv)
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"provenance: {project.relative_to_root(manifest)}", flush=True)
    argv[0] = llamafactory_cli()
    return subprocess.call(argv, cwd=project.root())


def command_recipes(arguments: argparse.Namespace) -> int:
    from regllm_lf.core.jsonio import write_if_changed
    from regllm_lf.train.recipes import planned_recipes

    planned = planned_recipes()
    changed = [path for path, content in planned.items() if write_if_changed(path, content)]
    print(f"{len(planned)} recipes; {len(changed)} rewritten")
    return 0


def command_estimate(arguments: argparse.Namespace) -> int:
    from regllm_lf.train.estimate import estimate_recipe, format_estimate

    for recipe in arguments.recipes:
        print(format_estimate(estimate_recipe(recipe)))
    return 0


def model_keys() -> list[str]:
    from regllm_lf.train.models import load_models

    return list(load_models())


def register(commands: Any) -> None:
    keys = model_keys()
    train = add_command(
        commands,
        "train",
        command_train,
        "Train with LLaMA-Factory: picks recipes/<model>_lora.yaml (or _qlora) and passes the overrides "
        "to `llamafactory-cli train` as key=value; first writes OUTPUT_DIR/regllm_manifest.json (recipe, "
        "dataset sha256, template, seed, package versions).",
    )
    train.add_argument(
        "--model", choices=keys, default="qwen2.5-7b", help="model (default: %(default)s): " + ", ".join(keys)
    )
    train.add_argument("--qlora", action="store_true", help="4-bit QLoRA recipe (bitsandbytes, needs a GPU)")
    train.add_argument("--epochs", type=float, help="num_train_epochs")
    train.add_argument("--batch-size", type=int, help="per_device_train_batch_size")
    train.add_argument("--lr", type=float, help="learning_rate")
    train.add_argument(
        "--small-subset",
        action="store_true",
        help="quick test: 40 rows per dataset, 1 epoch, output in saves/<model>/lora/quick",
    )
    train.add_argument(
        "--data",
        help="dataset names registered in datasets/ (comma-separated), or a JSON/JSONL "
        "file of rows, validated and registered as regllm_custom_<name>",
    )
    train.add_argument("--output-dir", help="output_dir (default: the recipe's saves/<model>/lora/sft)")
    train.add_argument("--print", dest="print_only", action="store_true", help="print the command, run nothing")
    train.add_argument("extra", nargs="*", help="further LLaMA-Factory key=value overrides")

    add_command(
        commands,
        "recipes",
        command_recipes,
        "Rewrite recipes/ from recipes/_templates and the model catalogue (only changed files are written).",
    )

    estimate = add_command(
        commands,
        "estimate",
        command_estimate,
        "Estimate GPU memory and tokens per epoch for recipes (weights, LoRA, optimizer, activations).",
    )
    estimate.add_argument("recipes", nargs="+", type=Path, help="recipe YAML files")
