"""LLaMA-Board in a real browser, started by ``regllm-lf board`` in a copy of the project (it writes
llamaboard_config/, llamaboard_cache/ and saves/ where it starts, so the checkout stays untouched).

It lists and previews our datasets; the ``qwen7b_lora`` preset fills the form with what the recipe says;
and a training started with *Start* on a tiny local model runs to the end and reports its loss.
``REGLLM_UPDATE_SCREENSHOTS=1`` rewrites docs/llamaboard_presets.png from the loaded form.

A real browser: Debian's chromium (installed here if missing), driven headless by Playwright.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CHROMIUM_FLAGS, REPO_ROOT, chromium_path, project_copy, running_board

SCREENSHOT = REPO_ROOT / "docs" / "llamaboard_presets.png"
UPDATE_SCREENSHOTS = os.environ.get("REGLLM_UPDATE_SCREENSHOTS") == "1"


@dataclass(frozen=True)
class Board:
    url: str
    workspace: Path
    pid: int


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    workspace = project_copy(tmp_path_factory.mktemp("board"))
    with running_board(workspace, workspace / "board.log") as (url, process):
        yield Board(url, workspace, process.pid)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PLAYWRIGHT_BROWSERS_PATH", "0")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()
    playwright.stop()


def open_board(browser: Any, board: Board) -> Any:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(board.url, wait_until="domcontentloaded")
    expect(page.get_by_label("Data dir").first).to_have_value("data", timeout=60_000)  # the Train tab's
    return page


def load_preset(page: Any, name: str, presses: int = 1) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Config path").click()
    page.get_by_role("option", name=name, exact=True).click()
    for _ in range(presses):
        page.get_by_role("button", name="Load arguments").click()
        expect(page.get_by_text("Arguments have been restored.")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(2_000)  # the board's own reactions to the new model and stage


def form_input(page: Any, title: str) -> Any:
    """The first input titled ``title`` (its accessible name is the title and the help text after it;
    a slider's number box is named 'number input for <title>')."""
    return page.get_by_label(re.compile(rf"^\s*(number input for )?{re.escape(title)}(\s|$)")).first


def field(page: Any, title: str) -> Any:
    """The first form field titled ``title`` (a multi-select shows its values as tokens inside it)."""
    title_span = page.locator("[data-testid=block-info]").filter(has_text=re.compile(f"^{re.escape(title)}$"))
    return page.locator(".block").filter(has=title_span).first


def recipe(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / "recipes" / name).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_board_listens_on_localhost_with_one_preset_per_recipe(board: Board) -> None:
    import psutil

    listening = [
        connection.laddr
        for connection in psutil.Process(board.pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    ]
    assert [address.ip for address in listening] == ["127.0.0.1"]
    recipes = {path.name for path in (REPO_ROOT / "recipes").glob("*.yaml") if recipe(path.name).get("do_train")}
    assert {path.name for path in (board.workspace / "llamaboard_config").glob("*.yaml")} == recipes


@pytest.mark.slow
def test_board_lists_and_previews_regllm_datasets(board: Board, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = open_board(browser, board)
    page.get_by_label("Dataset", exact=True).first.click()  # the dropdown lists dataset_info.json entries
    option = page.get_by_role("option", name="regllm_sql_review_train")
    expect(option).to_be_visible(timeout=30_000)
    option.click()
    page.keyboard.press("Escape")
    preview = page.get_by_role("button", name="Preview dataset").first
    expect(preview).to_be_enabled(timeout=30_000)
    preview.click()
    expect(page.get_by_text("ANÁLISIS DE CONFORMIDAD METODOLÓGICA").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(tmp_path / "preview.png"))
    page.close()


@pytest.mark.slow
def test_preset_fills_the_form_and_trains_from_the_browser(
    board: Board, browser: Any, tiny_qwen2: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    wanted = recipe("qwen7b_lora.yaml")
    page = open_board(browser, board)
    load_preset(page, "qwen7b_lora.yaml")

    label = functools.partial(form_input, page)
    expect(label("Model name")).to_have_value("Qwen2.5-7B-Instruct")
    expect(label("Model path")).to_have_value(wanted["model_name_or_path"])
    expect(label("Chat template")).to_have_value(wanted["template"])
    expect(label("Data dir")).to_have_value(wanted["dataset_dir"])
    expect(label("Cutoff length")).to_have_value(str(wanted["cutoff_len"]))
    assert float(label("Learning rate").input_value()) == wanted["learning_rate"]
    expect(label("LoRA rank")).to_have_value(str(wanted["lora_rank"]))
    expect(page.get_by_label("Use neat packing").first).to_be_checked()
    expect(page.get_by_label("Pack sequences").first).to_be_checked()
    for name in wanted["dataset"].split(","):
        expect(field(page, "Dataset").get_by_text(name, exact=True)).to_be_visible()
    extra = json.loads(label("Extra arguments").input_value())
    assert extra["eval_dataset"] == wanted["eval_dataset"] and extra["default_system"] == wanted["default_system"]
    page.get_by_text("Extra configurations").click()
    page.get_by_text("LoRA configurations").click()
    page.screenshot(path=str(SCREENSHOT if UPDATE_SCREENSHOTS else tmp_path / "loaded.png"), full_page=True)
    if UPDATE_SCREENSHOTS:
        shrink_png(SCREENSHOT)

    # The same form, trained on this CPU: a tiny local model, fp32, and little work (2 steps over 4 rows
    # per dataset, packed into 1024 tokens), so that it ends in seconds even on two busy cores.
    label("Model path").fill(str(tiny_qwen2))
    label("Compute type").click()
    page.get_by_role("option", name="fp32", exact=True).click()
    label("Max samples").fill("4")
    label("Cutoff length").fill("1024")
    label("Cutoff length").press("Tab")
    label("Extra arguments").fill(json.dumps({**extra, "max_steps": 2}, ensure_ascii=False))
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_text("Finished.").first).to_be_visible(timeout=240_000)
    output = page.locator(".prose").filter(has_text="Finished.").first.inner_text()
    losses = [float(value) for value in re.findall(r"'loss': '?([0-9.]+)", output)]
    assert losses and all(math.isfinite(loss) and loss > 0 for loss in losses), output[-2000:]
    page.close()

    # What the board ran: the recipe, but for the settings changed above.
    output_dir = board.workspace / wanted["output_dir"]
    ran = yaml.safe_load((output_dir / "training_args.yaml").read_text(encoding="utf-8"))
    changed = {"model_name_or_path": str(tiny_qwen2), "max_samples": 4, "cutoff_len": 1024, "max_steps": 2}
    assert {key: ran.get(key) for key in changed} == changed and not ran.get("bf16")
    for key, value in wanted.items():
        if key not in changed and key != "bf16" and value not in (None, False):  # the board omits False
            assert ran.get(key) == value, key
    adapter = json.loads((output_dir / "adapter_config.json").read_text(encoding="utf-8"))
    assert adapter["r"] == wanted["lora_rank"] and adapter["lora_alpha"] == wanted["lora_alpha"]


@pytest.mark.slow
def test_dpo_preset_after_a_second_load(board: Board, browser: Any) -> None:
    """The board clears Dataset and Checkpoint path when Stage and Model name change, which the first
    Load arguments does; the second leaves them as the preset says (as the README tells users)."""
    from playwright.sync_api import expect

    wanted = recipe("qwen7b_lora_dpo.yaml")
    page = open_board(browser, board)
    load_preset(page, "qwen7b_lora_dpo.yaml", presses=2)
    expect(form_input(page, "Stage")).to_have_value("DPO")
    for title, names in (("Dataset", wanted["dataset"]), ("Checkpoint path", wanted["adapter_name_or_path"])):
        for name in names.split(","):
            expect(field(page, title).get_by_text(name, exact=True)).to_be_visible()
    page.close()


def shrink_png(path: Path) -> None:
    """A 64-colour palette keeps the committed screenshot small (text stays sharp)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)
