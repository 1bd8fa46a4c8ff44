"""LLaMA-Board, launched from a copy of the project root, lists the regllm datasets and previews them.

The copy (data/ and datasets/, the board's default Data dir and ours) keeps LLaMA-Board's runtime
cache (``llamaboard_cache/``, written relative to where it starts) out of the repository.

A real browser: Debian's chromium (installed here if missing), driven headless by Playwright.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO_ROOT

from regllm_lf.core.environment import offline_environment
from regllm_lf.demo.round_trip import free_port
from regllm_lf.train.launch import llamafactory_cli

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Debian's chromium; the test set-up installs it with apt-get when it is missing."""
    found = shutil.which("chromium")
    if found is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True)
        found = shutil.which("chromium")
    assert found, "chromium could not be installed"
    return found


@pytest.fixture(scope="module")
def board_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    workspace = tmp_path_factory.mktemp("board")
    for folder in ("data", "datasets"):
        shutil.copytree(REPO_ROOT / folder, workspace / folder)
    log = (workspace / "webui.log").open("w")
    environment = {
        **offline_environment(),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "BROWSER": "true",
    }
    process = subprocess.Popen(
        [llamafactory_cli(), "webui"], cwd=workspace, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"llamafactory-cli webui exited; see {log.name}"
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"LLaMA-Board did not start; see {log.name}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
def test_board_lists_and_previews_regllm_datasets(board_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    os.environ.setdefault("PLAYWRIGHT_BROWSERS_PATH", "0")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(board_url, wait_until="domcontentloaded")
        data_dir = page.get_by_label("Data dir").first  # the Train tab's (Evaluate has one too)
        expect(data_dir).to_have_value("data", timeout=60_000)  # LLaMA-Board's default: nothing typed
        dataset = page.get_by_label("Dataset", exact=True).first
        dataset.click()  # the dropdown lists dataset_info.json entries when it gets focus
        option = page.get_by_role("option", name="regllm_sql_review_train")
        expect(option).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "dataset-list.png"))
        option.click()
        page.keyboard.press("Escape")
        preview = page.get_by_role("button", name="Preview dataset").first
        expect(preview).to_be_enabled(timeout=30_000)
        preview.click()
        expect(page.get_by_text("ANÁLISIS DE CONFORMIDAD METODOLÓGICA").first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "preview.png"))
        browser.close()
