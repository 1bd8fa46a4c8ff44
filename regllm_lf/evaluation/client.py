"""The one OpenAI client factory for every OpenAI-compatible endpoint (vLLM, ``llamafactory-cli api``)."""

from __future__ import annotations

import os
from typing import Any

NO_KEY = "sin-clave"  # servers started without a key accept any; the client insists on one


def openai_client(base_url: str, api_key_env: str | None = None, **options: Any) -> Any:
    """``openai.OpenAI`` for ``base_url``; the key is read from the environment variable named, never passed."""
    from openai import OpenAI

    api_key = os.environ.get(api_key_env, "") if api_key_env else ""
    return OpenAI(base_url=base_url, api_key=api_key or NO_KEY, **options)
