"""Local servers (vLLM, llamafactory-cli api) are stopped with their whole process group, and one that dies
while starting says why."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from regllm_lf.serve.local import LocalServer


class Started(LocalServer):
    def ready(self) -> bool:
        return True


class NeverReady(LocalServer):
    def ready(self) -> bool:
        return False


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\tZ" not in status.read_text().split("State:", 1)[1].splitlines()[0]
    except (FileNotFoundError, IndexError):
        return False


def test_stopping_a_server_stops_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 300 & echo $! > {pid_file}; wait"  # a child like vLLM's engine core
    with Started(["bash", "-c", script], dict(os.environ), 0, tmp_path / "log", 30):
        deadline = time.monotonic() + 10
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert alive(child)
    assert not alive(child)


def test_a_server_that_exits_while_starting_shows_its_log(tmp_path: Path) -> None:
    argv = ["bash", "-c", "echo ValueError: sin modelo; exit 3"]
    server = NeverReady(argv, dict(os.environ), 0, tmp_path / "log", 30)
    with pytest.raises(RuntimeError, match="sin modelo"), server:
        pass
