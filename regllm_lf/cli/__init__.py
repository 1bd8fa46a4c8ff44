"""``regllm-lf``: the command-line interface. Each stage's module declares its subcommands beside their
handlers (``prepare``, ``reports``, ``train``, ``board``, ``serve``, ``evaluate``, ``publish``,
``quickstart``); this module assembles them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regllm_lf.cli import board, evaluate, prepare, publish, quickstart, reports, serve, train
from regllm_lf.cli.common import print_problems

STAGES = (quickstart, prepare, reports, train, board, serve, evaluate, publish)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regllm-lf",
        description="Build, validate and register Spanish credit-risk datasets for LLaMA-Factory; train, merge, "
        "serve and evaluate.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="project root holding data/, datasets/, recipes/ (default: $REGLLM_ROOT, else the working "
        "directory or its nearest parent that has data/ and datasets/)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for stage in STAGES:
        stage.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from regllm_lf import project
    from regllm_lf.core.problems import DataError
    from regllm_lf.prepare.dataset_info import RegistryError  # light: json and fcntl only

    arguments = build_parser().parse_args(argv)
    try:
        if arguments.root is not None:
            project.use_root(arguments.root)
        return arguments.handler(arguments)
    except DataError as error:
        print_problems(error.problems)
        return 1
    except (RegistryError, project.ProjectNotFound) as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:  # a file we could not read or write: say which, never a traceback
        where = error.filename or "regllm-lf"
        print(f"{where}:0: file: {error.strerror or error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
