"""``regllm-lf``: the command-line interface. Every subcommand is a thin layer over a module."""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from regllm_lf.catalog import DATASETS, source_files
from regllm_lf.paths import DATA_DIR, DATASETS_DIR, REPO_ROOT
from regllm_lf.problems import DataError
from regllm_lf.registry import RegistryError


def _print_problems(problems: list) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s) found", file=sys.stderr)


def command_validate(arguments: argparse.Namespace) -> int:
    from regllm_lf.validate import validate_files

    paths = arguments.paths or source_files()
    problems, rows = validate_files(paths, domain=not arguments.no_domain)
    if problems:
        _print_problems(problems)
        return 1
    print(f"OK: {rows} rows in {len(paths)} file(s), no problems")
    return 0


def command_stats(arguments: argparse.Namespace) -> int:
    from regllm_lf.jsonio import read_records
    from regllm_lf.stats import compute_stats, estimated_tokens, format_table, tokenizer_counter

    problems: list = []
    rows = [record.data for path in (arguments.paths or source_files()) for record in read_records(path, problems)]
    if problems:
        _print_problems(problems)
        return 1
    counter = tokenizer_counter(arguments.tokenizer) if arguments.tokenizer else estimated_tokens
    stats = compute_stats(rows, counter, arguments.cutoff_len)
    print(format_table(stats, exact=arguments.tokenizer is not None, cutoff_len=arguments.cutoff_len))
    return 0


def command_register(arguments: argparse.Namespace) -> int:
    from regllm_lf.build import register_datasets

    missing = [str(d.split_file(s)) for d in DATASETS for s in ("train", "test") if not d.split_file(s).exists()]
    if missing:
        print("missing split files (run `regllm-lf build` first): " + ", ".join(missing), file=sys.stderr)
        return 1
    path = register_datasets(arguments.dataset_dir)
    print(f"registered {len(DATASETS) * 2} regllm_ datasets in {path}")
    return 0


def command_generate(arguments: argparse.Namespace) -> int:
    if arguments.what == "dpo":
        from regllm_lf.build import generate_dpo

        path, rows = generate_dpo()
        print(f"wrote {rows} preference pairs to {path} (registered as regllm_dpo)")
        return 0
    from regllm_lf.build import generate_banking

    path, rows = generate_banking()
    print(f"wrote {rows} banking Q&A rows to {path}")
    return 0


def command_build(arguments: argparse.Namespace) -> int:
    from regllm_lf.build import build
    from regllm_lf.export import export_all

    result = build(arguments.dataset_dir)
    for name, counts in result.counts.items():
        print(f"{name}: train {counts['train']}, test {counts['test']}")
    print(f"datasets in {arguments.dataset_dir}; registered in {result.info_path}")
    if not arguments.no_export:
        for path in export_all():
            print(f"exported {path}")
    return 0


def command_export(arguments: argparse.Namespace) -> int:
    from regllm_lf.export import export_all

    for path in export_all(arguments.out_dir):
        print(f"wrote {path}")
    return 0


def command_import_csv(arguments: argparse.Namespace) -> int:
    from regllm_lf.csv_import import import_csv

    report = import_csv(arguments.csv_file, dry_run=arguments.dry_run)
    print(report.summary())
    return 0 if not report.unplaced else 1


def _gpu_available() -> bool:
    import torch

    return torch.cuda.is_available()


def command_quickstart(arguments: argparse.Namespace) -> int:
    """The README's main job: build → validate → register → stats, then the tiny CPU round trip."""
    steps = [
        ["build", "--dataset-dir", str(arguments.dataset_dir)],
        ["validate"],
        ["register", "--dataset-dir", str(arguments.dataset_dir)],
        ["stats", *(["--tokenizer", "qwen"] if importlib.util.find_spec("dashscope") else [])],
    ]
    for step in steps:
        print(f"\n==> regllm-lf {' '.join(step)}", flush=True)
        code = main(step)
        if code:
            return code
    if _gpu_available() and not arguments.cpu_round_trip:
        print("\nGPU found. Next: llamafactory-cli train recipes/qwen7b_lora.yaml")
        return 0
    from regllm_lf.roundtrip import QUESTION, cpu_round_trip

    print(f"\n==> tiny CPU round trip in {arguments.work_dir}: train -> merge -> serve -> ask", flush=True)
    trip = cpu_round_trip(arguments.work_dir)
    print("\nArtifacts:")
    for label, path in [
        ("datasets + dataset_info.json", arguments.dataset_dir),
        ("exports (CSV/JSON)", DATA_DIR / "exports"),
        ("tiny base model", trip.base),
        ("LoRA adapter + loss plot", trip.adapter),
        ("merged model (vLLM-ready)", trip.merged),
        ("logs", trip.logs),
        ("answer", arguments.work_dir / "answer.json"),
    ]:
        print(f"  {label:30} {path}")
    print(f"\nQuestion: {QUESTION}\nAnswer of the tiny random model: {trip.answer!r}")
    print("On a GPU the next line is: llamafactory-cli train recipes/qwen7b_lora.yaml")
    return 0


def command_train(arguments: argparse.Namespace) -> int:
    from regllm_lf.models import model_named
    from regllm_lf.roundtrip import llamafactory_cli
    from regllm_lf.training import TrainOptions, train_command

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
    argv[0] = llamafactory_cli()
    return subprocess.call(argv, cwd=REPO_ROOT)


def command_merge(arguments: argparse.Namespace) -> int:
    from regllm_lf.merge import export_command, finalize_merged_dir
    from regllm_lf.models import model_named
    from regllm_lf.roundtrip import llamafactory_cli

    spec = model_named(arguments.model)
    overrides = {}
    if arguments.base:
        overrides["model_name_or_path"] = arguments.base
    if arguments.adapter:
        overrides["adapter_name_or_path"] = arguments.adapter
    export_dir = Path(arguments.export_dir or REPO_ROOT / spec.merged_dir(arguments.qlora))
    overrides["export_dir"] = str(export_dir)
    argv = export_command(str(Path(spec.merge_recipe(arguments.qlora)).relative_to(REPO_ROOT)), overrides)
    print(shlex.join(argv), flush=True)
    if not arguments.finalize_only:
        argv[0] = llamafactory_cli()
        code = subprocess.call(argv, cwd=REPO_ROOT)
        if code:
            return code
    report = finalize_merged_dir(export_dir, spec.template)
    kept = "kept the base model's" if report.base_template_matched else "wrote LLaMA-Factory's training"
    print(f"chat template: {kept} jinja; parity with training: {report.saved_template_matched}")
    print(f"generation_config.json eos_token_id: {report.stop_token_ids}")
    print(f"serve it: regllm-lf serve --model-path {export_dir}")
    return 0 if report.saved_template_matched else 1


def command_serve(arguments: argparse.Namespace) -> int:
    from regllm_lf.chat import template_for
    from regllm_lf.serve import adapter_base_model, llamafactory_api_command, vllm_command

    path = Path(arguments.model_path)
    adapter = path if (path / "adapter_config.json").is_file() else None
    model = (arguments.base or adapter_base_model(path)) if adapter else str(path)
    template = template_for(path, arguments.template)
    if arguments.backend == "vllm":
        command = vllm_command(
            model,
            adapter,
            template,
            arguments.port,
            arguments.host,
            arguments.tensor_parallel_size,
            arguments.max_model_len,
            arguments.api_key_env,
        )
    else:
        command = llamafactory_api_command(
            model, template, adapter, arguments.port, arguments.host, arguments.api_key_env
        )
    print(command.shown(), flush=True)
    if arguments.print_only:
        return 0
    return subprocess.call(command.argv, env=command.child_environment())


def command_chat(arguments: argparse.Namespace) -> int:
    from regllm_lf.chat import endpoint_answerer, local_answerer, run_chat

    if arguments.base_url:
        answer = endpoint_answerer(arguments.base_url, arguments.model, arguments.api_key_env, arguments.max_tokens)
    elif arguments.model_path:
        answer = local_answerer(Path(arguments.model_path), arguments.base, arguments.template, arguments.max_tokens)
    else:
        print("give --model-path (merged dir or adapter) or --base-url (OpenAI-compatible server)", file=sys.stderr)
        return 2
    if arguments.mode == "single" and not arguments.query:
        print("--mode single needs --query", file=sys.stderr)
        return 2
    return run_chat(answer, arguments.query, interactive=arguments.mode == "interactive")


def command_eval(arguments: argparse.Namespace) -> int:
    from regllm_lf.evaluate import Runner, load_questions
    from regllm_lf.report import write_report

    questions = load_questions(arguments.split, arguments.datasets, arguments.limit)
    runner = Runner(
        arguments.base_url,
        arguments.model,
        arguments.out,
        arguments.api_key_env,
        arguments.concurrency,
        arguments.max_tokens,
        arguments.timeout,
    )
    answered, failed = runner.run(questions, progress=not arguments.no_progress)
    print(f"{answered} answered now, {runner.retries} retries, {len(failed)} failed")
    for line in failed:
        print(f"  FAILED {line}", file=sys.stderr)
    summary = write_report(arguments.out)
    for name, item in summary.items():
        value = "—" if item["value"] is None else f"{item['value']:.3f}"
        print(f"  {item['dataset']:11} {name:20} {value:>6}  (n={item['n']})")
    print(f"report: {arguments.out / 'report.md'}, {arguments.out / 'report.html'}")
    return 1 if failed else 0


def command_eval_compare(arguments: argparse.Namespace) -> int:
    from regllm_lf.report import compare_runs

    print(compare_runs(arguments.base_dir, arguments.tuned_dir, arguments.out, arguments.examples))
    return 0


def command_recipes(arguments: argparse.Namespace) -> int:
    from regllm_lf.build import write_if_changed
    from regllm_lf.recipe_writer import planned_recipes

    changed = [path for path, content in planned_recipes().items() if write_if_changed(path, content)]
    print(f"{len(planned_recipes())} recipes; {len(changed)} rewritten")
    return 0


def command_estimate(arguments: argparse.Namespace) -> int:
    from regllm_lf.estimate import estimate_recipe, format_estimate

    for recipe in arguments.recipes:
        print(format_estimate(estimate_recipe(recipe)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regllm-lf",
        description="Build, validate and register Spanish credit-risk datasets for LLaMA-Factory.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    quickstart = add(
        "quickstart",
        command_quickstart,
        "The main job: build, validate, register, statistics, then the tiny CPU train → merge → serve → "
        "ask round trip (on a GPU machine: the next command to run).",
    )
    quickstart.add_argument(
        "--dataset-dir", type=Path, default=DATASETS_DIR, help="LLaMA-Factory dataset_dir (default: %(default)s)"
    )
    quickstart.add_argument(
        "--work-dir",
        type=Path,
        default=REPO_ROOT / "saves" / "tiny-cpu",
        help="where the tiny CPU round trip writes (default: %(default)s)",
    )
    quickstart.add_argument(
        "--cpu-round-trip", action="store_true", help="run the tiny CPU round trip even when a GPU is present"
    )

    from regllm_lf.models import load_models

    model_keys = list(load_models())
    train = add(
        "train",
        command_train,
        "Train with LLaMA-Factory: picks recipes/<model>_lora.yaml (or _qlora) and passes the overrides "
        "to `llamafactory-cli train` as key=value.",
    )
    train.add_argument(
        "--model",
        choices=model_keys,
        default="qwen2.5-7b",
        help="model (default: %(default)s): " + ", ".join(model_keys),
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

    merge = add(
        "merge",
        command_merge,
        "Merge the LoRA adapter into the base model (llamafactory-cli export recipes/merge/<model>.yaml) "
        "and make the merged dir serve exactly like training: chat template parity, stop tokens.",
    )
    merge.add_argument("--model", choices=model_keys, default="qwen2.5-7b", help="model (default: %(default)s)")
    merge.add_argument("--qlora", action="store_true", help="merge the QLoRA adapter (onto the unquantized base)")
    merge.add_argument("--base", help="base model path or id (default: the recipe's)")
    merge.add_argument("--adapter", help="adapter dir (default: the recipe's saves/<model>/lora/sft)")
    merge.add_argument("--export-dir", help="merged model dir (default: saves/<model>/merged)")
    merge.add_argument(
        "--finalize-only",
        action="store_true",
        help="skip the export; only apply the template and generation_config fixes to --export-dir",
    )

    serve = add(
        "serve",
        command_serve,
        "Serve a merged dir, or base + adapter, behind an OpenAI-compatible endpoint "
        "(vllm serve, or llamafactory-cli api on CPU).",
    )
    serve.add_argument("--model-path", required=True, help="merged model dir, or a LoRA adapter dir")
    serve.add_argument("--base", help="base model for an adapter (default: the adapter's base_model_name_or_path)")
    serve.add_argument(
        "--backend",
        choices=["vllm", "llamafactory"],
        default="vllm",
        help="vllm (GPU, its own venv) or llamafactory (`llamafactory-cli api`, HF backend, CPU ok)",
    )
    serve.add_argument("--template", help="LLaMA-Factory template (default: from the merge report or the base model)")
    serve.add_argument("--host", default="0.0.0.0", help="listen address (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--tensor-parallel-size", type=int, default=1, help="vLLM: GPUs per model")
    serve.add_argument("--max-model-len", type=int, help="vLLM: context length to allocate")
    serve.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable holding the API key; passed to the server's environment only",
    )
    serve.add_argument("--print", dest="print_only", action="store_true", help="show the command, run nothing")

    chat = add("chat", command_chat, "Ask the model: base + LoRA adapter, a merged dir, or an OpenAI-compatible URL.")
    chat.add_argument("--model-path", help="merged model dir, or a LoRA adapter dir")
    chat.add_argument("--base", help="base model for an adapter (default: the adapter's base_model_name_or_path)")
    chat.add_argument("--template", help="LLaMA-Factory template (default: detected)")
    chat.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1")
    chat.add_argument("--model", default="regllm", help="model name at the endpoint (default: %(default)s)")
    chat.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the endpoint's API key")
    chat.add_argument("--mode", choices=["interactive", "single"], default="single", help="(default: %(default)s)")
    chat.add_argument("--query", help="the question for --mode single")
    chat.add_argument("--max-tokens", type=int, default=512, help="answer length limit (default: %(default)s)")

    evaluation = add(
        "eval",
        command_eval,
        "Ask every held-out question through an OpenAI-compatible endpoint (vLLM, llamafactory-cli api, "
        "...), append each answer to OUT/results.jsonl as it arrives (re-running resumes), then score "
        "it and write OUT/report.md, report.html and report.png.",
    )
    evaluation.add_argument("--base-url", required=True, help="e.g. http://localhost:8000/v1")
    evaluation.add_argument("--model", required=True, help="model name at the endpoint (vLLM's --served-model-name)")
    evaluation.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the API key")
    evaluation.add_argument("--split", default="test", choices=["test", "train"], help="(default: %(default)s)")
    evaluation.add_argument("--datasets", nargs="+", choices=[d.name for d in DATASETS], help="default: all three")
    evaluation.add_argument("--out", type=Path, required=True, help="output directory")
    evaluation.add_argument("--concurrency", type=int, default=4, help="requests in flight (default: %(default)s)")
    evaluation.add_argument("--max-tokens", type=int, default=512, help="answer length limit (default: %(default)s)")
    evaluation.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default: %(default)s)")
    evaluation.add_argument("--limit", type=int, help="at most N questions per dataset")
    evaluation.add_argument("--no-progress", action="store_true", help="no progress bar")

    compare = add(
        "eval-compare",
        command_eval_compare,
        "Base vs fine-tuned, side by side per metric, with the examples whose scores changed.",
    )
    compare.add_argument("base_dir", type=Path, help="eval output dir of the base model")
    compare.add_argument("tuned_dir", type=Path, help="eval output dir of the fine-tuned model")
    compare.add_argument("--out", type=Path, help="where compare.md/html/png go (default: TUNED_DIR)")
    compare.add_argument("--examples", type=int, default=10, help="changed examples to show (default: %(default)s)")

    add("recipes", command_recipes, "Rewrite recipes/ from the model catalogue (only changed files are written).")

    estimate = add(
        "estimate",
        command_estimate,
        "Estimate GPU memory and tokens per epoch for recipes (weights, LoRA, optimizer, activations).",
    )
    estimate.add_argument("recipes", nargs="+", type=Path, help="recipe YAML files")

    build_command = add(
        "build",
        command_build,
        "Generate the banking Q&A, validate everything, write the train/test splits into the "
        "dataset dir, register them in dataset_info.json and write data/exports/.",
    )
    build_command.add_argument(
        "--dataset-dir",
        type=Path,
        default=DATASETS_DIR,
        help="LLaMA-Factory dataset_dir to write and register into (default: %(default)s)",
    )
    build_command.add_argument("--no-export", action="store_true", help="skip writing data/exports/")

    validate = add(
        "validate",
        command_validate,
        "Check JSON/JSONL rows: syntax, schema, LLaMA-Factory role order, ids unique across files, "
        "citations, findings and SQL. Prints every problem as file:line: field: message; exit 1 if any.",
    )
    validate.add_argument("paths", nargs="*", type=Path, help="files to check (default: the three source datasets)")
    validate.add_argument(
        "--no-domain",
        action="store_true",
        help="only syntax, schema, role order and ids (skip citations, findings and SQL runs)",
    )

    stats = add("stats", command_stats, "Rows, turns, characters and token lengths per dataset and topic.")
    stats.add_argument("paths", nargs="*", type=Path, help="files (default: the three source datasets)")
    stats.add_argument(
        "--tokenizer",
        help="local Hugging Face tokenizer directory for exact token counts, or "
        "'qwen' for Qwen's BPE vocabulary (shipped by the dashscope package)",
    )
    stats.add_argument(
        "--cutoff-len", type=int, default=2048, help="count rows longer than this (default: %(default)s)"
    )

    register = add(
        "register",
        command_register,
        "Write or merge our regllm_* entries into DIR/dataset_info.json; other entries stay byte-for-byte.",
    )
    register.add_argument(
        "--dataset-dir",
        type=Path,
        default=DATASETS_DIR,
        help="directory holding dataset_info.json, e.g. a LLaMA-Factory checkout's data/ (default: %(default)s)",
    )

    generate = add("generate", command_generate, "Generate a dataset from its sources.")
    generate.add_argument(
        "what",
        choices=["banking", "dpo"],
        help="banking: data/finetuning/banking_qa_dataset.jsonl; dpo: datasets/regllm_dpo.jsonl (preference pairs "
        "with hard negatives from the train splits, registered as regllm_dpo)",
    )

    export = add("export", command_export, "Write data/exports/ (combined JSON and Excel-friendly CSVs).")
    export.add_argument("--out-dir", type=Path, default=None, help="output directory (default: data/exports)")

    import_command = add(
        "import-csv",
        command_import_csv,
        "Write edits made in an exported CSV back into the source dataset, by id (validated first).",
    )
    import_command.add_argument("csv_file", type=Path, help="a CSV from data/exports/, edited in LibreOffice or Excel")
    import_command.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except DataError as error:
        _print_problems(error.problems)
        return 1
    except RegistryError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
