"""P5: eval throughput — 200 questions at concurrency 1 vs 16 against the same local endpoint
(`llamafactory-cli api`, Hugging Face backend, a tiny random Qwen2 on CPU, 16 new tokens per answer).

    .venv/bin/python scripts/bench_eval_throughput.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from regllm_lf.demo.round_trip import ApiServer  # noqa: E402
from regllm_lf.demo.tiny_models import build_qwen2  # noqa: E402
from regllm_lf.evaluation.runner import Runner, load_questions  # noqa: E402

QUESTIONS = 200


def main() -> None:
    questions = (load_questions("test") * 3)[:QUESTIONS]
    questions = [q.__class__(f"{q.id}-{n}", *list(q.__dict__.values())[1:]) for n, q in enumerate(questions)]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        model = build_qwen2(work / "tiny")
        with ApiServer(model, "qwen", work / "api.log") as server:
            print(f"P5 — {QUESTIONS} questions, max 16 new tokens, llamafactory-cli api (HF backend, CPU)")
            rates = {}
            for concurrency in (1, 16):
                runner = Runner(
                    server.base_url, "regllm", work / f"c{concurrency}", concurrency=concurrency, max_tokens=16
                )
                started = time.perf_counter()
                answered, failed = runner.run(questions, progress=False)
                elapsed = time.perf_counter() - started
                rates[concurrency] = answered / elapsed
                print(
                    f"  concurrency {concurrency:2}: {answered} answered, {len(failed)} failed, {elapsed:6.1f} s, "
                    f"{rates[concurrency]:5.2f} questions/s"
                )
            print(f"  speed-up 16 vs 1: {rates[16] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
