"""Shared fixtures. Tests run offline: nothing is downloaded from a hub."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("WANDB_DISABLED", "true")
# A fresh cache of passing SQL snippets per session: tests run every snippet through DuckDB.
os.environ["REGLLM_CACHE"] = tempfile.mkdtemp(prefix="regllm-test-cache-")

REPO_ROOT = Path(__file__).resolve().parent.parent
CHAT_TEMPLATES = Path(__file__).resolve().parent / "fixtures" / "chat_templates"
# Recipe slug -> (architecture, the family's real chat template file or None).
FAMILY_OF = {
    "qwen7b": ("qwen2", "qwen2_5.jinja"),
    "qwen3b": ("qwen2", "qwen2_5.jinja"),
    "qwen1_8b": ("qwen2", "qwen1_5.jinja"),
    "phi3mini": ("phi3", "phi3.jinja"),
    "stablelm3b": ("stablelm", "stablelm_zephyr.jinja"),
    "phi2": ("phi", None),
    "gemma2b": ("gemma", "gemma.jinja"),
}


def chat_template(name: str | None) -> str | None:
    return (CHAT_TEMPLATES / name).read_text(encoding="utf-8") if name else None


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str | None], Path]:
    """Build (once per session) a tiny random model of an architecture, with a family chat template."""
    from regllm_lf.demo.tiny_models import build_tiny_model

    built: dict[tuple[str, str | None], Path] = {}

    def make(architecture: str, template_file: str | None = None) -> Path:
        key = (architecture, template_file)
        if key not in built:
            folder = tmp_path_factory.mktemp(f"tiny-{architecture}")
            built[key] = build_tiny_model(folder, architecture, chat_template(template_file))
        return built[key]

    return make


@pytest.fixture(scope="session")
def tiny_qwen2(tiny_model: Callable[[str, str | None], Path]) -> Path:
    return tiny_model("qwen2", "qwen2_5.jinja")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's data/ and datasets/, made the project root ($REGLLM_ROOT) for the test."""
    root = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "data", root / "data")
    shutil.copytree(REPO_ROOT / "datasets", root / "datasets")
    monkeypatch.setenv("REGLLM_ROOT", str(root))
    return root


@pytest.fixture
def bank_sources(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the bank figure files (data/processed/<bank>/) and banks_urls.json, to edit in a test."""
    from regllm_lf.tasks.banking_qa.figures import banks_urls_path, processed_folder

    processed = tmp_path / "processed"
    shutil.copytree(processed_folder(), processed, ignore=shutil.ignore_patterns("train_data.json"))
    urls = tmp_path / "banks_urls.json"
    shutil.copy(banks_urls_path(), urls)
    return processed, urls


@pytest.fixture
def serve() -> Iterator[Callable]:
    """Start a local OpenAI-compatible endpoint (127.0.0.1, a free port) for a FakeEndpoint; stopped after the test."""
    servers = []

    def start(endpoint: Any) -> str:  # a helpers.FakeEndpoint
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload = endpoint.handle(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()


@dataclass(frozen=True)
class ShortAnswerModel:
    """A tiny model of one family taught the short answer (tests/helpers.py): base, adapter, merged dir."""

    key: str  # the catalogue's model key, e.g. qwen2.5-7b
    template: str  # its LLaMA-Factory template
    base: Path
    adapter: Path
    merged: Path
    folder: Path  # logs and anything else of this model


@pytest.fixture(scope="session")
def vllm_installed() -> Path:
    """.venv-vllm's vllm; the test FAILS without it (CI builds it with scripts/setup_vllm_env.sh first)."""
    from regllm_lf.serve.vllm_env import VllmNotInstalled, require_vllm

    try:
        return require_vllm()
    except VllmNotInstalled as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def short_answer_model(
    tiny_model: Callable[[str, str | None], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., ShortAnswerModel]:
    """Train (once per session and model) the family's LoRA or QLoRA recipe on the short answer, then merge
    it with `regllm-lf merge`."""
    from helpers import SHORT_STEPS, SHORT_TRAINING, write_short_answer_dataset

    from regllm_lf.cli import main
    from regllm_lf.demo.round_trip import train_tiny
    from regllm_lf.train.models import model_named

    built: dict[tuple[str, bool], ShortAnswerModel] = {}

    def make(key: str, qlora: bool = False) -> ShortAnswerModel:
        if (key, qlora) not in built:
            spec = model_named(key)
            base = tiny_model(*FAMILY_OF[spec.slug])
            folder = tmp_path_factory.mktemp(f"short-{spec.slug}{'-qlora' if qlora else ''}")
            overrides = {**SHORT_TRAINING, "dataset_dir": str(write_short_answer_dataset(folder / "data"))}
            adapter = train_tiny(
                base, folder / "adapter", folder / "train.log", spec.recipe(qlora), SHORT_STEPS, overrides
            )
            merged = folder / "merged"
            merge = ["merge", "--model", key, "--base", str(base), "--adapter", str(adapter)]
            assert main([*merge, "--export-dir", str(merged), *(["--qlora"] if qlora else [])]) == 0
            built[key, qlora] = ShortAnswerModel(key, spec.template, base, adapter, merged, folder)
        return built[key, qlora]

    return make
