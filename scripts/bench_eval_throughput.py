"""P5: eval throughput — 200 questions at concurrency 1 vs 16 against the same local endpoint, one run
(a tiny random Qwen2 on CPU, 16 new tokens at most per answer).

    .venv/bin/python scripts/bench_eval_throughput.py                    # llamafactory-cli api (HF backend)
    .venv/bin/python scripts/bench_eval_throughput.py --server vllm      # vLLM from .venv-vllm
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regllm_lf.demo.round_trip import ApiServer  # noqa: E402
from regllm_lf.demo.tiny_models import build_qwen2  # noqa: E402
from regllm_lf.evaluation.runner import Runner, load_questions  # noqa: E402
from regllm_lf.serve.local import LocalServer, free_port  # noqa: E402
from regllm_lf.serve.merge import finalize_merged_dir  # noqa: E402
from regllm_lf.serve.server import vllm_command  # noqa: E402
from regllm_lf.serve.vllm_env import VllmServer, require_vllm  # noqa: E402

QUESTIONS = 200
MAX_TOKENS = 16


def server_for(kind: str, model: Path, work: Path) -> tuple[LocalServer, str]:
    if kind == "vllm":
        executable = require_vllm()
        port = free_port()
        command = vllm_command(str(model), port=port, host="127.0.0.1")
        return VllmServer(command, port, work / "vllm.log"), f"vLLM ({executable}), {' '.join(command.argv[3:])}"
    return ApiServer(model, "qwen", work / "api.log"), "llamafactory-cli api (HF backend)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["llamafactory", "vllm"], default="llamafactory")
    arguments = parser.parse_args()
    questions = (load_questions("test") * 3)[:QUESTIONS]
    questions = [q.__class__(f"{q.id}-{n}", *list(q.__dict__.values())[1:]) for n, q in enumerate(questions)]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model = build_qwen2(work / "tiny")
        finalize_merged_dir(model, "qwen")  # LLaMA-Factory's qwen chat template saved with it, as a merge does
        server, name = server_for(arguments.server, model, work)
        with server:
            print(f"P5 — {QUESTIONS} questions, max {MAX_TOKENS} new tokens, {name}, CPU")
            print(f"  server ready in {server.started_in:.1f} s; load average {os.getloadavg()[0]:.1f}")
            rates = {}
            for concurrency in (1, 16):
                out = work / f"c{concurrency}"
                runner = Runner(server.base_url, "regllm", out, concurrency=concurrency, max_tokens=MAX_TOKENS)
                started = time.perf_counter()
                answered, failed = runner.run(questions, progress=False)
                elapsed = time.perf_counter() - started
                if failed:
                    sys.exit(f"{len(failed)} questions failed, e.g. {failed[0]}")
                rates[concurrency] = answered / elapsed
                results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
                full = sum(result["finish_reason"] == "length" for result in results)
                print(
                    f"  concurrency {concurrency:2}: {answered} answered, {len(failed)} failed, {elapsed:6.1f} s, "
                    f"{rates[concurrency]:5.2f} questions/s ({full} answers reached {MAX_TOKENS} tokens); "
                    f"load average {os.getloadavg()[0]:.1f}"
                )
            print(f"  speed-up 16 vs 1: {rates[16] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
