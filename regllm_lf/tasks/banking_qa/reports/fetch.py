"""Download the documents listed in ``data/banks_urls.json`` into a local cache (git-ignored).

Each document lands at ``<cache>/<bank>/<document id><suffix>``; ``<cache>/manifest.json`` records its
URL, size and SHA-256. A download in progress is kept as ``.part`` and resumed with an HTTP Range request;
a document already in the cache whose checksum matches the manifest is not fetched again. Without a
network every document is reported as not fetched, with the reason, and nothing half-written is left
under its final name.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from tqdm import tqdm

from regllm_lf import project
from regllm_lf.core.jsonio import write_atomic
from regllm_lf.tasks.banking_qa.figures import load_documents

CHUNK = 1 << 16
SUFFIXES = (".pdf", ".html", ".htm", ".xhtml", ".xml", ".json", ".csv", ".xlsx")


def cache_dir() -> Path:
    return project.root() / "cache" / "reports"


@dataclass(frozen=True)
class Outcome:
    document_id: str
    status: str  # "fetched", "resumed", "cached", "failed", "no url"
    path: Path | None = None
    detail: str = ""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def target_path(cache: Path, bank_id: str, document_id: str, url: str) -> Path:
    suffix = Path(urlparse(url).path).suffix.lower()
    return cache / bank_id / f"{document_id}{suffix if suffix in SUFFIXES else '.html'}"


def _read_manifest(cache: Path) -> dict[str, dict]:
    path = cache / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a broken manifest only costs a re-check of every file


def _download(url: str, target: Path, timeout: float, position: int) -> str:
    """Fetch ``url`` into ``target`` (via ``.part``); "fetched" or "resumed"."""
    partial = target.with_name(target.name + ".part")
    offset = partial.stat().st_size if partial.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "regllm-lf reports fetch"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URLs from our own list)
        resumed = offset > 0 and response.status == 206
        if not resumed:
            offset = 0  # the server ignored the range: start again
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            partial.open("ab" if resumed else "wb") as handle,
            tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=target.name, position=position) as bar,
        ):
            for block in iter(lambda: response.read(CHUNK), b""):
                handle.write(block)
                bar.update(len(block))
    partial.replace(target)
    return "resumed" if resumed else "fetched"


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    reason = getattr(error, "reason", error)
    return str(reason) or type(error).__name__


def fetch_documents(
    bank: str | None = None,
    year: int | None = None,
    cache: Path | None = None,
    urls_path: Path | None = None,
    timeout: float = 30.0,
) -> list[Outcome]:
    """Fetch every listed document of ``bank``/``year`` (all by default); the manifest is updated as it goes."""
    cache = cache or cache_dir()
    entries, _ = load_documents(urls_path)
    manifest = _read_manifest(cache)
    outcomes = []
    for bank_id, entry in sorted(entries.items()):
        if bank and bank_id != bank:
            continue
        for document in entry["documents"]:
            if year and document["year"] != year:
                continue
            url = document.get("url")
            if not url:
                outcomes.append(Outcome(document["id"], "no url"))
                continue
            target = target_path(cache, bank_id, document["id"], url)
            known = manifest.get(document["id"], {})
            if target.is_file() and known.get("sha256") == sha256_of(target) and known.get("url") == url:
                outcomes.append(Outcome(document["id"], "cached", target))
                continue
            try:
                status = _download(url, target, timeout, 0)
            except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as error:
                outcomes.append(Outcome(document["id"], "failed", None, f"{urlparse(url).netloc}: {_reason(error)}"))
                continue
            digest = sha256_of(target)
            changed = known.get("sha256") not in (None, digest)
            manifest[document["id"]] = {
                "bank_id": bank_id,
                "year": document["year"],
                "url": url,
                "path": str(target.relative_to(cache)),
                "bytes": target.stat().st_size,
                "sha256": digest,
                "fetched": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            write_atomic(cache / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            detail = "the content changed since the last fetch" if changed else ""
            outcomes.append(Outcome(document["id"], status, target, detail))
    return outcomes
