"""The serving environment: where ``.venv-vllm`` is (``scripts/setup_vllm_env.sh`` builds it), whether a GPU
is present, and a local vLLM server for the demo, the benchmark and the tests.

vLLM lives in its own virtual environment because it pins a newer transformers (>= 5.16) than
LLaMA-Factory 0.9.5 allows (<= 5.6); the two talk over HTTP only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from regllm_lf import project
from regllm_lf.core.environment import offline_environment
from regllm_lf.serve.local import LocalServer, http_status

if TYPE_CHECKING:
    from regllm_lf.serve.server import ServeCommand

VENV_VARIABLE = "REGLLM_VLLM_VENV"
SETUP_COMMAND = "bash scripts/setup_vllm_env.sh"
STAMP_FILE = ".regllm-vllm-stamp"  # written by the setup script once vllm imports
# For tiny models on a shared CPU (set only where the caller has not): vLLM reserves 4 GiB of KV cache on
# a CPU by default; 1 GiB holds about two million tokens of a tiny model. No usage statistics are sent.
TINY_CPU_ENVIRONMENT = {"VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}


class VllmNotInstalled(RuntimeError):
    pass


def vllm_venv() -> Path:
    """``$REGLLM_VLLM_VENV``, else ``.venv-vllm`` at the project root (or here, outside a project)."""
    configured = os.environ.get(VENV_VARIABLE)
    if configured:
        return Path(configured)
    try:
        return project.root() / ".venv-vllm"
    except project.ProjectNotFound:
        return Path(".venv-vllm")


def vllm_executable() -> Path | None:
    """The venv's ``vllm`` when the setup script finished there, else None."""
    venv = vllm_venv()
    executable = venv / "bin" / "vllm"
    return executable if executable.is_file() and (venv / STAMP_FILE).is_file() else None


def require_vllm() -> Path:
    executable = vllm_executable()
    if executable is None:
        raise VllmNotInstalled(f"no vLLM in {vllm_venv()}: run `{SETUP_COMMAND}` (a few minutes, once)")
    return executable


def gpu_present() -> bool:
    """An NVIDIA GPU is listed (the same test the setup script uses to choose vllm or vllm-cpu)."""
    if shutil.which("nvidia-smi") is None:
        return False
    return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0


class VllmServer(LocalServer):
    """``vllm serve`` on 127.0.0.1 from a ``ServeCommand`` (see ``serve.server.vllm_command``).

    Ready after one real request, not just ``/health``: an unsupported head size on the CPU passes
    ``/health`` and only fails on the first request."""

    name = "vLLM server"

    def __init__(self, command: ServeCommand, port: int, log: Path, timeout: float = 600) -> None:
        environment = {**offline_environment(), **command.child_environment()}
        for key, value in TINY_CPU_ENVIRONMENT.items():
            environment.setdefault(key, value)
        super().__init__(command.argv, environment, port, log, timeout)

    def model_names(self) -> list[str]:
        with urllib.request.urlopen(f"{self.base_url}/models", timeout=10) as reply:
            return [model["id"] for model in json.load(reply)["data"]]

    def ready(self) -> bool:
        if http_status(f"{self.root_url}/health") != 200:
            return False
        body = json.dumps({"model": self.model_names()[0], "prompt": "Hola", "max_tokens": 1}).encode()
        status = http_status(f"{self.base_url}/completions", body, timeout=120)
        if status != 200:
            tail = self.log_tail()
            raise RuntimeError(f"vLLM answered its first request with HTTP {status}; log {self.log}:\n{tail}")
        return True
