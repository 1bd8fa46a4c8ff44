"""``regllm-lf``: the command-line interface. Every subcommand is a thin layer over a module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from regllm_lf.catalog import DATASETS, source_files
from regllm_lf.paths import DATASETS_DIR
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


def command_quickstart(arguments: argparse.Namespace) -> int:
    """The README's main job: build → validate → register → stats."""
    steps = [
        ["build", "--dataset-dir", str(arguments.dataset_dir)],
        ["validate"],
        ["register", "--dataset-dir", str(arguments.dataset_dir)],
        ["stats"],
    ]
    for step in steps:
        print(f"\n==> regllm-lf {' '.join(step)}", flush=True)
        code = main(step)
        if code:
            return code
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

    quickstart = add("quickstart", command_quickstart, "The main job: build, validate, register and print statistics.")
    quickstart.add_argument(
        "--dataset-dir", type=Path, default=DATASETS_DIR, help="LLaMA-Factory dataset_dir (default: %(default)s)"
    )

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
    stats.add_argument("--tokenizer", type=Path, help="local Hugging Face tokenizer directory for exact token counts")
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
    generate.add_argument("what", choices=["banking"], help="banking: data/finetuning/banking_qa_dataset.jsonl")

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
