"""``regllm-lf chat`` / ``scripts/use_banking_model.py``: ask a base + LoRA adapter, a merged model
directory or any OpenAI-compatible endpoint, interactively or with one query."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from regllm_lf.serve.adapters import adapter_base_model, is_adapter
from regllm_lf.train.models import DEFAULT_SYSTEM, model_for_hf_id

Answerer = Callable[[list[dict[str, str]]], str]


def template_for(model_path: Path, explicit: str | None) -> str:
    """The LLaMA-Factory template: given, recorded by our merge step, or looked up from the base model id."""
    if explicit:
        return explicit
    report = model_path / "regllm_merge_report.json"
    if report.is_file():
        return json.loads(report.read_text(encoding="utf-8"))["template"]
    spec = model_for_hf_id(adapter_base_model(model_path))
    return spec.template if spec else "qwen"


def local_answerer(model_path: Path, base: str | None, template: str | None, max_new_tokens: int) -> Answerer:
    """LLaMA-Factory's ChatModel (Hugging Face backend) on a merged dir or base + adapter."""
    from llamafactory.chat import ChatModel

    arguments = {
        "template": template_for(model_path, template),
        "default_system": DEFAULT_SYSTEM,
        "infer_backend": "huggingface",
        "trust_remote_code": False,
        "max_new_tokens": max_new_tokens,
    }
    if is_adapter(model_path):
        arguments["model_name_or_path"] = base or adapter_base_model(model_path)
        arguments["adapter_name_or_path"] = str(model_path)
    else:
        arguments["model_name_or_path"] = str(model_path)
    model = ChatModel(arguments)

    def answer(messages: list[dict[str, str]]) -> str:
        system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
        turns = messages[1:] if system is not None else messages
        return model.chat(turns, system=system)[0].response_text

    return answer


def endpoint_answerer(base_url: str, model: str, api_key_env: str | None, max_tokens: int) -> Answerer:
    """Any OpenAI-compatible server (vLLM, llamafactory-cli api, ...)."""
    from regllm_lf.evaluation.client import openai_client

    client = openai_client(base_url, api_key_env)

    def answer(messages: list[dict[str, str]]) -> str:
        reply = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens, temperature=0)
        return reply.choices[0].message.content or ""

    return answer


def run_chat(answer: Answerer, query: str | None, system: str = DEFAULT_SYSTEM, interactive: bool = False) -> int:
    history: list[dict[str, str]] = [{"role": "system", "content": system}]
    if not interactive:
        history.append({"role": "user", "content": query or ""})
        print(answer(history))
        return 0
    print("Escribe tu pregunta (vacío o 'salir' para terminar, 'limpiar' para borrar el historial).")
    while True:
        try:
            text = input("\nUsuario: ").strip()
        except EOFError:
            return 0
        if text.lower() in ("", "salir", "exit", "quit"):
            return 0
        if text.lower() == "limpiar":
            del history[1:]
            continue
        history.append({"role": "user", "content": text})
        reply = answer(history)
        history.append({"role": "assistant", "content": reply})
        print(f"Asistente: {reply}")
