"""Subcommand ``board``: LLaMA-Board (``llamafactory-cli webui``) with our recipes as presets."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.cli.common import add_command

DESCRIPTION = (
    "Write one LLaMA-Board preset per training recipe into llamaboard_config/ (only changed files), then "
    "start LLaMA-Board from the project root, as `llamafactory-cli webui` would, with the same environment "
    "variables (GRADIO_SERVER_PORT, GRADIO_SHARE, GRADIO_IPV6, USE_MODELSCOPE_HUB, ...), except that it "
    "listens on 127.0.0.1 unless GRADIO_SERVER_NAME says otherwise. In the Train tab, pick a preset in "
    "'Config path' and press 'Load arguments'."
)


def command_board(arguments: argparse.Namespace) -> int:
    from regllm_lf.train.board_presets import PRESETS_FOLDER, write_presets

    root = project.root()
    total, changed = write_presets(root)
    print(f"{total} presets in {root / PRESETS_FOLDER}; {changed} written or removed", flush=True)
    if arguments.presets_only:
        return 0
    launch_board(root)
    return 0


def launch_board(root: Path) -> None:
    """Run LLaMA-Board in this process, from ``root`` (it reads llamaboard_config/, data/ and writes
    llamaboard_cache/ and saves/ relative to its working directory; all git-ignored)."""
    from regllm_lf.train.launch import llamafactory_cli

    os.chdir(root)
    os.environ.setdefault("GRADIO_SERVER_NAME", "127.0.0.1")  # LLaMA-Board's own default is 0.0.0.0
    # Start runs the plain name `llamafactory-cli`: put ours first on PATH so an unactivated venv works.
    program = Path(llamafactory_cli())
    if program.is_absolute():
        os.environ["PATH"] = os.pathsep.join([str(program.parent), os.environ.get("PATH", "")])

    from llamafactory.webui.interface import run_web_ui

    from regllm_lf.train.board_presets import register_catalogue_models

    register_catalogue_models()
    run_web_ui()


def register(commands: Any) -> None:
    board = add_command(commands, "board", command_board, DESCRIPTION)
    board.add_argument(
        "--presets-only", action="store_true", help="write llamaboard_config/ and exit without starting the board"
    )
