"""What every subcommand module shares: how it adds itself to the parser, and how problems are printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def add_command(commands: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help_text, description=help_text)
    command.set_defaults(handler=handler)
    return command


def print_problems(problems: list) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s) found", file=sys.stderr)


def add_dataset_dir(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument("--dataset-dir", type=Path, default=None, help=f"{help_text} (default: datasets/)")


def add_create(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--create",
        action="store_true",
        help="create --dataset-dir and its missing parents (default: only a missing last folder is created)",
    )
