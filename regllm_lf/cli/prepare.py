"""Subcommands of the data stage: validate, stats, generate, build, register, export, import-csv."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.cli.common import add_command, add_create, add_dataset_dir, print_problems


def command_validate(arguments: argparse.Namespace) -> int:
    from regllm_lf.prepare.validate import validate_files
    from regllm_lf.tasks.registry import all_tasks, source_files

    paths = arguments.paths or source_files()
    problems, rows = validate_files(paths, domain=not arguments.no_domain)
    if not arguments.paths:  # the sources behind generated datasets too (e.g. unconfirmed bank figures)
        problems += [
            problem
            for task in all_tasks()
            if task.hook("source_problems")
            for problem in task.hook("source_problems")()
        ]
    warn_about_boms()
    if problems:
        print_problems(problems)
        return 1
    print(f"OK: {rows} rows in {len(paths)} file(s), no problems")
    return 0


def warn_about_boms(*extra: Path) -> None:
    """LLaMA-Factory refuses a dataset_info.json with a BOM: say so for every one we know of and leave."""
    from regllm_lf.prepare.build import board_data_dir
    from regllm_lf.prepare.dataset_info import INFO_FILE, bom_warning

    folders = {project.datasets_dir(), board_data_dir(), *extra}
    for folder in sorted(folders):
        warning = bom_warning(folder / INFO_FILE)
        if warning:
            print(warning, file=sys.stderr)


def command_stats(arguments: argparse.Namespace) -> int:
    from regllm_lf.core.jsonio import read_records
    from regllm_lf.prepare.stats import compute_stats, estimated_tokens, format_table, tokenizer_counter
    from regllm_lf.tasks.registry import source_files

    problems: list = []
    rows = [record.data for path in (arguments.paths or source_files()) for record in read_records(path, problems)]
    if problems:
        print_problems(problems)
        return 1
    counter = tokenizer_counter(arguments.tokenizer) if arguments.tokenizer else estimated_tokens
    stats = compute_stats(rows, counter, arguments.cutoff_len)
    print(format_table(stats, exact=arguments.tokenizer is not None, cutoff_len=arguments.cutoff_len))
    return 0


def command_register(arguments: argparse.Namespace) -> int:
    from regllm_lf.core.jsonio import loads_strict
    from regllm_lf.prepare.build import register_datasets
    from regllm_lf.prepare.dataset_info import ENTRY_PREFIX
    from regllm_lf.tasks.registry import SPLITS, all_tasks

    tasks = all_tasks()
    missing = [str(t.split_file(s)) for t in tasks for s in SPLITS if not t.split_file(s).exists()]
    if missing:
        print("missing split files (run `regllm-lf build` first): " + ", ".join(missing), file=sys.stderr)
        return 1
    dataset_dir = arguments.dataset_dir or project.datasets_dir()
    path = register_datasets(dataset_dir, create=arguments.create)
    written = loads_strict(path.read_text(encoding="utf-8"))  # count what the file holds, not what we meant
    ours = [name for name in written if name.startswith(ENTRY_PREFIX)]
    print(f"registered {len(ours)} {ENTRY_PREFIX} datasets in {path}")
    warn_about_boms(dataset_dir)
    return 0


def command_generate(arguments: argparse.Namespace) -> int:
    from regllm_lf.prepare.build import generate_dpo, generate_source
    from regllm_lf.tasks.registry import task_named

    if arguments.what == "dpo":
        path, rows = generate_dpo()
        print(f"wrote {rows} preference pairs to {path} (registered as regllm_dpo)")
        return 0
    path, rows = generate_source(task_named(GENERATED_ALIASES.get(arguments.what, arguments.what)))
    print(f"wrote {rows} {arguments.what} rows to {path}")
    return 0


def command_build(arguments: argparse.Namespace) -> int:
    from regllm_lf.prepare.build import build
    from regllm_lf.prepare.spreadsheet_export import exports_dir

    dataset_dir = arguments.dataset_dir or project.datasets_dir()
    result = build(dataset_dir, export=not arguments.no_export, create=arguments.create)
    for name, counts in result.counts.items():
        print(f"{name}: train {counts['train']}, test {counts['test']}")
    print(f"datasets in {dataset_dir}; registered in {result.info_path}")
    for path in result.written:
        if path.parent == exports_dir():
            print(f"exported {path}")
    return 0


def command_export(arguments: argparse.Namespace) -> int:
    from regllm_lf.prepare.spreadsheet_export import export_all

    for path in export_all(arguments.out_dir):
        print(f"wrote {path}")
    return 0


def command_import_csv(arguments: argparse.Namespace) -> int:
    from regllm_lf.prepare.spreadsheet_import import import_csv

    report = import_csv(arguments.csv_file, dry_run=arguments.dry_run, encoding=arguments.encoding)
    print(report.summary())
    return 0


# The seed guide's name for the banking generator.
GENERATED_ALIASES = {"banking": "banking_qa"}


def register(commands: Any) -> None:
    build_command = add_command(
        commands,
        "build",
        command_build,
        "Generate the banking Q&A, validate everything, write the train/test splits into the "
        "dataset dir, register them in dataset_info.json and write data/exports/.",
    )
    add_dataset_dir(build_command, "LLaMA-Factory dataset_dir to write and register into")
    build_command.add_argument("--no-export", action="store_true", help="skip writing data/exports/")
    add_create(build_command)

    validate = add_command(
        commands,
        "validate",
        command_validate,
        "Check JSON/JSONL rows: syntax, schema, LLaMA-Factory role order, ids unique across files, "
        "citations, findings and SQL. Prints every problem as file:line: field: message; exit 1 if any.",
    )
    validate.add_argument("paths", nargs="*", type=Path, help="files to check (default: every task's source)")
    validate.add_argument(
        "--no-domain",
        action="store_true",
        help="only syntax, schema, role order and ids (skip citations, findings and SQL runs)",
    )

    stats = add_command(
        commands, "stats", command_stats, "Rows, turns, characters and token lengths per dataset and topic."
    )
    stats.add_argument("paths", nargs="*", type=Path, help="files (default: every task's source)")
    stats.add_argument(
        "--tokenizer",
        help="local Hugging Face tokenizer directory for exact token counts, or "
        "'qwen' for Qwen's BPE vocabulary (shipped by the dashscope package)",
    )
    stats.add_argument(
        "--cutoff-len", type=int, default=2048, help="count rows longer than this (default: %(default)s)"
    )

    register_command = add_command(
        commands,
        "register",
        command_register,
        "Write or merge our regllm_* entries into DIR/dataset_info.json; other entries stay byte-for-byte.",
    )
    add_dataset_dir(register_command, "directory holding dataset_info.json, e.g. a LLaMA-Factory checkout's data/")
    add_create(register_command)

    generate = add_command(commands, "generate", command_generate, "Generate a dataset from its sources.")
    generate.add_argument(
        "what",
        choices=["banking", "dpo"],
        help="banking: data/finetuning/banking_qa_dataset.jsonl; dpo: datasets/regllm_dpo.jsonl (preference pairs "
        "with hard negatives from the train splits, registered as regllm_dpo)",
    )

    export = add_command(
        commands, "export", command_export, "Write data/exports/ (combined JSON and Excel-friendly CSVs)."
    )
    export.add_argument("--out-dir", type=Path, default=None, help="output directory (default: data/exports)")

    import_command = add_command(
        commands,
        "import-csv",
        command_import_csv,
        "Write edits made in an exported CSV back into the source dataset, by id (validated first).",
    )
    import_command.add_argument("csv_file", type=Path, help="a CSV from data/exports/, edited in LibreOffice or Excel")
    import_command.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    import_command.add_argument(
        "--encoding",
        help="the CSV's encoding, e.g. cp1252 or latin-1 (default: UTF-8 or UTF-16 with a BOM, else Windows-1252)",
    )
