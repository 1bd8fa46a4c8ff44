"""The one offline environment for child processes: nothing is fetched from a hub, output unbuffered."""

from __future__ import annotations

import os

OFFLINE_VARIABLES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "PYTHONUNBUFFERED": "1",
    "WANDB_DISABLED": "true",
}


def offline_environment() -> dict[str, str]:
    return {**os.environ, **OFFLINE_VARIABLES}
