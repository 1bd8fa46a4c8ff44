"""Subcommand publish: the dataset card and data files to the Hugging Face Hub."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from regllm_lf import project
from regllm_lf.cli.common import add_command


def command_publish(arguments: argparse.Namespace) -> int:
    from regllm_lf.prepare.publish import PublishError, publish

    try:
        files = publish(arguments.repo_id, arguments.private, arguments.token_env, arguments.dry_run)
    except PublishError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    verb = "would push" if arguments.dry_run else "pushed"
    print(f"{verb} {len(files)} files to https://huggingface.co/datasets/{arguments.repo_id}:")
    for path in files:
        print(f"  {project.relative_to_root(path)}")
    return 0


def register(commands: Any) -> None:
    command = add_command(
        commands,
        "publish",
        command_publish,
        "Push datasets/README.md (the dataset card) and the data files it declares to a Hugging Face dataset "
        "repo, in one commit; refused when they differ from what `regllm-lf build` writes.",
    )
    command.add_argument("--repo-id", required=True, help="USER/NAME of the dataset repo (created if missing)")
    command.add_argument("--private", action="store_true", help="create the repo private")
    command.add_argument(
        "--token-env", metavar="VAR", help="environment variable holding the token (default: $HF_TOKEN or your login)"
    )
    command.add_argument("--dry-run", action="store_true", help="check and list the files, push nothing")
