"""Subcommands of the evaluation stage: eval, eval-compare, export-lm-eval, overlap."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regllm_lf.cli.common import add_command


def _provenance(arguments: argparse.Namespace) -> dict[str, Any]:
    """What the eval manifest adds to the runner's record: seed, intervals and the training run, if named."""
    from regllm_lf.evaluation.intervals import interval_method
    from regllm_lf.evaluation.manifest import ManifestError, read_manifest

    record: dict[str, Any] = {"seed": arguments.seed, "intervals": interval_method(arguments.seed), "template": None}
    if arguments.train_dir is not None:
        trained = read_manifest(arguments.train_dir)
        if trained is None:
            raise ManifestError(f"--train-dir {arguments.train_dir}: no manifest (train with `regllm-lf train`)")
        record["template"] = trained.get("template")
        record["trained_with"] = {"dir": str(arguments.train_dir), **trained}
    return record


def command_eval(arguments: argparse.Namespace) -> int:
    from regllm_lf.evaluation.manifest import ManifestError
    from regllm_lf.evaluation.report import answer_counts, counts_line, read_results, write_report
    from regllm_lf.evaluation.runner import Runner, load_questions

    questions = load_questions(arguments.split, arguments.datasets, arguments.limit)
    try:
        runner = Runner(
            arguments.base_url,
            arguments.model,
            arguments.out,
            arguments.api_key_env,
            arguments.concurrency,
            arguments.max_tokens,
            arguments.timeout,
            provenance=_provenance(arguments),
            split=arguments.split,
        )
        answered, failed = runner.run(questions, progress=not arguments.no_progress, restart=arguments.restart)
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{answered} answered now, {runner.retries} retries, {len(failed)} failed")
    for line in failed:
        print(f"  FAILED {line}", file=sys.stderr)
    summary = write_report(arguments.out, seed=arguments.seed)
    print(counts_line(answer_counts(arguments.out, read_results(arguments.out))))
    for name, item in summary.items():
        value = "—" if item["value"] is None else f"{item['value']:.3f}"
        low, high = item["interval"] or ("", "")
        shown = f"[{low:.3f}, {high:.3f}]" if item["interval"] else ""
        print(f"  {item['dataset']:11} {name:20} {value:>6} {shown:16} (n={item['n']})")
    print(f"report: {arguments.out / 'report.md'}, {arguments.out / 'report.html'}")
    return 1 if failed else 0


def command_eval_compare(arguments: argparse.Namespace) -> int:
    from regllm_lf.evaluation.manifest import ManifestError
    from regllm_lf.evaluation.report import compare_runs

    try:
        text = compare_runs(arguments.base_dir, arguments.tuned_dir, arguments.out, arguments.examples, arguments.seed)
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(text)
    return 0


def command_export_lm_eval(arguments: argparse.Namespace) -> int:
    from regllm_lf.evaluation.lm_eval_export import GROUP, export_lm_eval, planned_export

    written = export_lm_eval(arguments.out_dir, arguments.datasets)
    names = ",".join(item["lm_eval_task"] for item in planned_export(arguments.datasets)[2]["tasks"].values())
    print(f"wrote {len(written)} files to {arguments.out_dir} (tasks {names}, group {GROUP}); run:")
    print(
        f"  lm_eval --model local-chat-completions --apply_chat_template --include_path {arguments.out_dir} "
        f"--tasks {names} --model_args model=NAME,base_url=http://localhost:8000/v1/chat/completions"
    )
    return 0


def command_overlap(arguments: argparse.Namespace) -> int:
    from regllm_lf.core.jsonio import read_records
    from regllm_lf.core.problems import DataError
    from regllm_lf.evaluation.overlap import Reference, row_id, row_overlaps, summarise

    problems: list = []
    sets = {}
    for name, paths in (("A", [arguments.a]), ("B", arguments.b)):
        records = [record for path in paths for record in read_records(path, problems)]
        sets[name] = [(row_id(r.data, f"{r.path}:{r.line}"), r.data) for r in records]
    if problems:
        raise DataError(problems)
    overlaps = row_overlaps(sets["A"], Reference(sets["B"], arguments.ngram))
    summary = summarise(overlaps, arguments.threshold)
    print(f"{arguments.a} against {', '.join(map(str, arguments.b))}: {summary['rows']} rows, {arguments.ngram}-grams")
    print(f"  rows sharing any {arguments.ngram}-gram (the harness's 'dirty' rows): {summary['rows_with_any_overlap']}")
    for role, stats in [*summary["by_text"].items(), ("near-duplicate", summary["near_duplicate"])]:
        print(f"  {role:15} median {stats['median']:.2f}  p90 {stats['p90']:.2f}  max {stats['max']:.2f}")
    ranked = sorted(overlaps, key=lambda item: (-item.duplicate, item.id))[: arguments.top]
    for item in ranked:
        texts = ", ".join(f"{role} {share:.2f}" for role, share in item.shares.items())
        print(f"  {item.duplicate:.2f} {item.id} ~ {item.duplicate_of} ({texts})")
    flagged = summary["near_duplicates"]
    print(f"{len(flagged)} row(s) at or above the near-duplicate threshold {arguments.threshold:.2f}")
    return 1 if flagged else 0


def register(commands: Any) -> None:
    evaluation = add_command(
        commands,
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
    evaluation.add_argument("--datasets", nargs="+", metavar="TASK", help="task names, e.g. banking_qa (default: all)")
    evaluation.add_argument("--out", type=Path, required=True, help="output directory")
    evaluation.add_argument("--concurrency", type=int, default=4, help="requests in flight (default: %(default)s)")
    evaluation.add_argument("--max-tokens", type=int, default=512, help="answer length limit (default: %(default)s)")
    evaluation.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default: %(default)s)")
    evaluation.add_argument("--limit", type=int, help="at most N questions per dataset")
    evaluation.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_seed(evaluation)
    evaluation.add_argument(
        "--train-dir",
        type=Path,
        help="the training output dir of the model served: its manifest (recipe, data hashes, template) is "
        "copied into OUT/regllm_manifest.json",
    )
    evaluation.add_argument(
        "--restart",
        action="store_true",
        help="discard the answers already in --out (by default a re-run resumes them, and refuses a folder "
        "made for another model, endpoint, sampling or question set)",
    )

    compare = add_command(
        commands,
        "eval-compare",
        command_eval_compare,
        "Base vs fine-tuned, side by side per metric with 95-percent intervals and a paired test (exact McNemar "
        "for 0/1 scores, sign-flip permutation otherwise), and the examples whose scores changed. Refuses runs "
        "over different test sets (their regllm_manifest.json files differ).",
    )
    compare.add_argument("base_dir", type=Path, help="eval output dir of the base model")
    compare.add_argument("tuned_dir", type=Path, help="eval output dir of the fine-tuned model")
    compare.add_argument("--out", type=Path, help="where compare.md/html/png go (default: TUNED_DIR)")
    compare.add_argument("--examples", type=int, default=10, help="changed examples to show (default: %(default)s)")
    add_seed(compare)
    register_lm_eval(commands)
    register_overlap(commands)


def add_seed(command: argparse.ArgumentParser) -> None:
    from regllm_lf.evaluation.intervals import DEFAULT_SEED

    command.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="seed of the bootstrap intervals and Monte Carlo tests (default: %(default)s)",
    )


def register_lm_eval(commands: Any) -> None:
    export = add_command(
        commands,
        "export-lm-eval",
        command_export_lm_eval,
        "Write the held-out sets as lm-evaluation-harness tasks (YAML + utils.py scoring with our metrics) "
        "into DIR, for `lm_eval --model local-chat-completions --apply_chat_template --include_path DIR`.",
    )
    export.add_argument("out_dir", type=Path, metavar="DIR", help="output folder (files in it are replaced)")
    export.add_argument("--datasets", nargs="+", metavar="TASK", help="task names, e.g. banking_qa (default: all)")


def register_overlap(commands: Any) -> None:
    from regllm_lf.evaluation.overlap import NEAR_DUPLICATE, NGRAM

    overlap = add_command(
        commands,
        "overlap",
        command_overlap,
        "N-gram overlap of the rows of A with the rows of B (13-grams, as lm-evaluation-harness's "
        "decontamination): per question and answer, the share of n-grams found in B, and how nearly one row "
        "of B repeats a row of A. Exit 1 when some row of A is a near-duplicate. Rows: messages, or any "
        "string fields (question/answer, instruction/output...).",
    )
    overlap.add_argument("a", type=Path, metavar="A", help="JSON/JSONL rows to check, e.g. an external test set")
    overlap.add_argument(
        "b", type=Path, nargs="+", metavar="B", help="reference rows, e.g. datasets/regllm_*_train.jsonl"
    )
    overlap.add_argument("--ngram", type=int, default=NGRAM, help="n-gram size (default: %(default)s)")
    overlap.add_argument(
        "--threshold",
        type=float,
        default=NEAR_DUPLICATE,
        help="near-duplicate score that fails (the build's limit; default: %(default)s)",
    )
    overlap.add_argument(
        "--top", type=int, default=10, help="rows listed, most overlapping first (default: %(default)s)"
    )
