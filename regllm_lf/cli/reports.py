"""``regllm-lf reports fetch|extract``: download the banks' documents; read candidate figures from a PDF."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regllm_lf.cli.common import add_command

FETCHED = ("fetched", "resumed", "cached")


def command_fetch(arguments: argparse.Namespace) -> int:
    from regllm_lf.tasks.banking_qa.reports.fetch import cache_dir, fetch_documents

    cache = arguments.cache or cache_dir()
    outcomes = fetch_documents(arguments.bank, arguments.year, cache, timeout=arguments.timeout)
    if not outcomes:
        print("no document matches: check --bank and --year against data/banks_urls.json", file=sys.stderr)
        return 1
    for outcome in outcomes:
        where = f" → {outcome.path}" if outcome.path else ""
        detail = f" ({outcome.detail})" if outcome.detail else ""
        print(f"{outcome.status:8} {outcome.document_id}{where}{detail}")
    failed = [outcome for outcome in outcomes if outcome.status == "failed"]
    done = sum(outcome.status in FETCHED for outcome in outcomes)
    print(f"{done} of {len(outcomes)} document(s) in {cache} (checksums in {cache / 'manifest.json'})")
    if failed:
        print(
            f"{len(failed)} document(s) not fetched: no network, or the server refused (see above). "
            "Run the same command again when online: finished files are kept and partial ones resume.",
            file=sys.stderr,
        )
        return 1
    return 0


def command_extract(arguments: argparse.Namespace) -> int:
    from regllm_lf.core.jsonio import write_atomic
    from regllm_lf.core.problems import DataError, Problem, display_path
    from regllm_lf.tasks.banking_qa.figures import load_documents, processed_folder
    from regllm_lf.tasks.banking_qa.reports.extract import draft, draft_text, extract_candidates, table

    candidates = extract_candidates(arguments.pdf)
    print(table(candidates) if candidates else f"no candidate figure found in {arguments.pdf}")
    if arguments.draft is None:
        return 0
    entries, documents = load_documents()
    bank_documents = documents.get(arguments.bank)
    if bank_documents is None:
        raise DataError([Problem("data/banks_urls.json", 0, "banks", f"no bank {arguments.bank!r}")])
    document_id = arguments.document_id or arguments.pdf.stem
    if document_id not in bank_documents:
        known = ", ".join(sorted(bank_documents))
        message = f"{document_id!r} is not a document of {arguments.bank!r}: name one with --document-id ({known})"
        raise DataError([Problem(display_path(arguments.pdf), 0, "document_id", message)])
    default = processed_folder() / arguments.bank / f"{arguments.bank}_{arguments.year}.json"
    target = Path(arguments.draft) if arguments.draft else default
    if target.exists():
        message = "exists: a draft never overwrites a bank file; give another path with --draft PATH"
        raise DataError([Problem(display_path(target), 0, "file", message)])
    data = draft(
        candidates, arguments.pdf, arguments.bank, entries[arguments.bank]["name"], arguments.year, document_id
    )
    write_atomic(target, draft_text(data))
    print(
        f"draft written to {display_path(target)}: {len(data['metrics'])} unconfirmed figure(s), "
        f"{len(data.get('gaps', {}))} gap(s). Check each value on its page, write the bank's definition and set "
        '"confirmed": true; until then `regllm-lf validate` and `build` refuse the file.'
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    reports = add_command(commands, "reports", lambda _: 2, "Fetch the banks' documents and read figures from them.")
    actions = reports.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch = add_command(
        actions,
        "fetch",
        command_fetch,
        "Download the documents listed in data/banks_urls.json into cache/reports/ (not committed): "
        "SHA-256 checksums in cache/reports/manifest.json, a progress bar, interrupted downloads resumed.",
    )
    fetch.add_argument("--bank", help="only this bank id (e.g. bbva)")
    fetch.add_argument("--year", type=int, help="only documents about this financial year")
    fetch.add_argument("--cache", type=Path, help="cache folder (default: cache/reports under the project root)")
    fetch.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a server (default: 30)")
    extract = add_command(
        actions,
        "extract",
        command_extract,
        "Find candidate values for every tracked metric in a report PDF: prints metric, value, page and the "
        "line each came from; --draft writes a bank-year file whose figures are unconfirmed.",
    )
    extract.add_argument("pdf", type=Path, metavar="FILE.pdf", help="the report (e.g. from `reports fetch`)")
    extract.add_argument("--bank", required=True, help="bank id as in data/banks_urls.json (e.g. caixabank)")
    extract.add_argument("--year", type=int, required=True, help="the financial year the report covers")
    extract.add_argument(
        "--draft",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="write a draft bank-year file (default path data/processed/<bank>/<bank>_<year>.json; an existing "
        "file is never overwritten)",
    )
    extract.add_argument(
        "--document-id",
        help="the data/banks_urls.json document the PDF is (default: the file name without extension, as "
        "`reports fetch` names it)",
    )
