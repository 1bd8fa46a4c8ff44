"""A server process on 127.0.0.1 for the demo, the benchmarks and the tests: started in its own process
group (vLLM forks an engine and a worker), ready when its readiness check passes, always stopped with
its whole group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from regllm_lf import project


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(url: str, body: bytes | None = None, timeout: float = 5) -> int:
    """The HTTP status of a GET (or a JSON POST when ``body`` is given); 0 when nothing answers."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class LocalServer:
    """Runs ``argv`` with ``environment``; subclasses say when it is ready (``ready``)."""

    name = "server"

    def __init__(self, argv: list[str], environment: dict[str, str], port: int, log: Path, timeout: float) -> None:
        self.argv = argv
        self.environment = environment
        self.port = port
        self.log = log
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self.started_in: float | None = None  # seconds from launch to ready

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def ready(self) -> bool:
        raise NotImplementedError

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-characters:] if self.log.exists() else ""

    def __enter__(self) -> LocalServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with self.log.open("w", encoding="utf-8") as stream:
            self.process = subprocess.Popen(
                self.argv,
                cwd=project.root(),
                env=self.environment,
                stdout=stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops its children too
            )
        try:
            while time.monotonic() - started < self.timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the {self.name} exited early; log {self.log}:\n{self.log_tail()}")
                if self.ready():
                    self.started_in = time.monotonic() - started
                    return self
                time.sleep(1)
            raise TimeoutError(f"the {self.name} was not ready within {self.timeout:.0f} s; log {self.log}")
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or (self.process.returncode is not None and not self._group_alive()):
            return
        self._signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.5)
        if self._group_alive():
            self._signal_group(signal.SIGKILL)
        self.process.wait()

    def _signal_group(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True
