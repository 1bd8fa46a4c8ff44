"""Subcommands of the evaluation stage: eval, eval-compare."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regllm_lf.cli.common import add_command


def command_eval(arguments: argparse.Namespace) -> int:
    from regllm_lf.evaluation.report import answer_counts, counts_line, read_results, write_report
    from regllm_lf.evaluation.runner import Runner, load_questions

    questions = load_questions(arguments.split, arguments.datasets, arguments.limit)
    runner = Runner(
        arguments.base_url,
        arguments.model,
        arguments.out,
        arguments.api_key_env,
        arguments.concurrency,
        arguments.max_tokens,
        arguments.timeout,
        split=arguments.split,
    )
    answered, failed = runner.run(questions, progress=not arguments.no_progress, restart=arguments.restart)
    print(f"{answered} answered now, {runner.retries} retries, {len(failed)} failed")
    for line in failed:
        print(f"  FAILED {line}", file=sys.stderr)
    summary = write_report(arguments.out)
    print(counts_line(answer_counts(arguments.out, read_results(arguments.out))))
    for name, item in summary.items():
        value = "—" if item["value"] is None else f"{item['value']:.3f}"
        print(f"  {item['dataset']:11} {name:20} {value:>6}  (n={item['n']})")
    print(f"report: {arguments.out / 'report.md'}, {arguments.out / 'report.html'}")
    return 1 if failed else 0


def command_eval_compare(arguments: argparse.Namespace) -> int:
    from regllm_lf.evaluation.report import compare_runs

    print(compare_runs(arguments.base_dir, arguments.tuned_dir, arguments.out, arguments.examples))
    return 0


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
        "Base vs fine-tuned, side by side per metric, with the examples whose scores changed.",
    )
    compare.add_argument("base_dir", type=Path, help="eval output dir of the base model")
    compare.add_argument("tuned_dir", type=Path, help="eval output dir of the fine-tuned model")
    compare.add_argument("--out", type=Path, help="where compare.md/html/png go (default: TUNED_DIR)")
    compare.add_argument("--examples", type=int, default=10, help="changed examples to show (default: %(default)s)")
