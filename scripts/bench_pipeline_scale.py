"""P3: build + validate + register throughput on 10k and 100k synthetic rows; linearity; peak memory.

Synthetic rows are copies of our regulation rows with new ids (so citations resolve and the domain rules
run). Each size runs in a fresh process so that peak memory (ru_maxrss) belongs to that size alone.

    .venv/bin/python scripts/bench_pipeline_scale.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (10_000, 100_000)


def run_one(size: int) -> dict:
    from regllm_lf.core.jsonio import dump_jsonl, read_records, write_atomic
    from regllm_lf.prepare.dataset_info import register_entries, sharegpt_entry
    from regllm_lf.prepare.domain import DomainRules
    from regllm_lf.prepare.split import split_rows
    from regllm_lf.prepare.validate import validate_records
    from regllm_lf.tasks.registry import task_named

    seed = [r.data for r in read_records(task_named("regulation").source, [])]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "synthetic.jsonl"
        rows = []
        for number in range(size):
            row = json.loads(json.dumps(seed[number % len(seed)]))
            row["metadata"]["id"] = f"synth-{number:07d}"
            rows.append(row)
        source.write_text(dump_jsonl(rows), encoding="utf-8")
        started = time.perf_counter()
        problems: list = []
        records = read_records(source, problems)
        problems += validate_records(records, DomainRules())
        assert not problems, problems[:3]
        split = split_rows([record.data for record in records])
        for name, members in split.items():
            write_atomic(work / f"regllm_synth_{name}.jsonl", dump_jsonl(members))
        register_entries(work, {f"regllm_synth_{name}": sharegpt_entry(f"regllm_synth_{name}.jsonl") for name in split})
        elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": size, "seconds": elapsed, "rows_per_second": size / elapsed, "peak_mib": peak_mib}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
        return
    results = []
    for size in SIZES:
        output = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True
        )
        results.append(json.loads(output.stdout.strip().splitlines()[-1]))
    print("P3 — build + validate (schema, roles, ids, citations) + split + write + register")
    for result in results:
        print(
            f"  {result['rows']:7,} rows  {result['seconds']:7.1f} s  {result['rows_per_second']:8,.0f} rows/s  "
            f"peak RSS {result['peak_mib']:7.0f} MiB"
        )
    ratio = results[1]["seconds"] / results[0]["seconds"]
    print(f"  time ratio 100k/10k: {ratio:.1f} (10.0 = linear)")


if __name__ == "__main__":
    main()
