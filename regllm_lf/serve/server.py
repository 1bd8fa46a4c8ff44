"""Serving commands: ``vllm serve`` for a merged dir or base + adapter, ``llamafactory-cli api`` on CPU.

``vllm`` is the one in ``.venv-vllm`` when ``scripts/setup_vllm_env.sh`` built it there, else the one on PATH.

The API key is read from an environment variable and handed to the server through its environment
(vLLM reads ``VLLM_API_KEY``, LLaMA-Factory ``API_KEY``): it never appears in argv, a file or a log.

Servers listen on 127.0.0.1 unless told otherwise; listening on any other address needs an API key
(or an explicit choice to serve without one): a model answering anyone on the network is never a default.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from regllm_lf.serve.adapters import adapter_rank
from regllm_lf.train.launch import llamafactory_argv
from regllm_lf.train.models import DEFAULT_SYSTEM

# LoRA ranks vLLM accepts for --max-lora-rank.
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
DEFAULT_HOST = "127.0.0.1"
SERVED_MODEL_NAME = "regllm"
ADAPTER_TEMPLATE_FILE = "regllm_chat_template.jinja"


@dataclass
class ServeCommand:
    argv: list[str]
    environment: dict[str, str] = field(default_factory=dict)  # variables set for the child process
    secret_variables: dict[str, str] = field(default_factory=dict)  # child variable <- user's variable name

    def shown(self) -> str:
        """The command as a shell line; secrets appear as references to the user's variable, never values."""
        parts = [f"{key}={shlex.quote(value)}" for key, value in self.environment.items()]
        parts += [f'{child}="${source}"' for child, source in self.secret_variables.items()]
        return " ".join([*parts, shlex.join(self.argv)])

    def child_environment(self) -> dict[str, str]:
        environment = {**os.environ, **self.environment}
        for child, source in self.secret_variables.items():
            if source not in os.environ:
                raise KeyError(f"environment variable {source} (the API key) is not set")
            environment[child] = os.environ[source]
        return environment


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public address


def exposure_problem(host: str, api_key_env: str | None, no_api_key: bool) -> str | None:
    """Why serving on ``host`` this way is refused, or None."""
    if is_loopback(host) or api_key_env or no_api_key:
        return None
    return (
        f"--host {host} lets anyone who can reach this machine use the model: give --api-key-env VAR "
        "(the key stays in $VAR and is never printed), or --no-api-key to serve it open on purpose"
    )


def missing_key_variable(api_key_env: str | None) -> str | None:
    if api_key_env and api_key_env not in os.environ:
        return f"--api-key-env {api_key_env}: the environment variable {api_key_env} is not set"
    return None


def vllm_lora_rank(adapter_dir: Path) -> int:
    """The smallest rank vLLM accepts that holds the adapter's rank."""
    rank = adapter_rank(adapter_dir)
    return next(allowed for allowed in VLLM_LORA_RANKS if allowed >= rank)


def write_adapter_chat_template(adapter_dir: Path, template_name: str) -> Path:
    """LLaMA-Factory's training template as jinja, for ``vllm serve --chat-template`` with an adapter."""
    from transformers import AutoTokenizer

    from regllm_lf.serve.merge import llamafactory_template

    tokenizer = AutoTokenizer.from_pretrained(str(adapter_dir))
    template = llamafactory_template(tokenizer, template_name)
    path = adapter_dir / ADAPTER_TEMPLATE_FILE
    path.write_text(template._get_jinja_template(tokenizer), encoding="utf-8")
    return path


def vllm_command(
    model_path: str,
    adapter_dir: Path | None = None,
    template_name: str | None = None,
    port: int = 8000,
    host: str = DEFAULT_HOST,
    tensor_parallel_size: int = 1,
    max_model_len: int | None = None,
    api_key_env: str | None = None,
    served_model_name: str = SERVED_MODEL_NAME,
    device: str = "auto",
) -> ServeCommand:
    """``device``: gpu, cpu, or auto (a GPU listed by nvidia-smi)."""
    from regllm_lf.serve.vllm_env import gpu_present, vllm_executable

    executable = vllm_executable()
    argv = [str(executable) if executable else "vllm", "serve", model_path, "--host", host, "--port", str(port)]
    if adapter_dir is None:
        argv += ["--served-model-name", served_model_name]
    else:
        chat_template = write_adapter_chat_template(adapter_dir, template_name or "qwen")
        argv += [
            "--enable-lora",
            "--lora-modules",
            f"{served_model_name}={adapter_dir}",
            "--max-lora-rank",
            str(vllm_lora_rank(adapter_dir)),
            "--chat-template",
            str(chat_template),
        ]
    if tensor_parallel_size > 1:
        argv += ["--tensor-parallel-size", str(tensor_parallel_size)]
    if max_model_len:
        argv += ["--max-model-len", str(max_model_len)]
    if device == "cpu" or (device == "auto" and not gpu_present()):
        argv += ["--enforce-eager"]  # compiling the graphs takes minutes on a CPU; eager starts in ~30 s
    secrets = {"VLLM_API_KEY": api_key_env} if api_key_env else {}
    return ServeCommand(argv, {}, secrets)


def llamafactory_api_command(
    model_path: str,
    template_name: str,
    adapter_dir: Path | None = None,
    port: int = 8000,
    host: str = DEFAULT_HOST,
    api_key_env: str | None = None,
    served_model_name: str = SERVED_MODEL_NAME,
) -> ServeCommand:
    """``llamafactory-cli api`` with the Hugging Face backend: the CPU path (and the GPU one without vLLM)."""
    # Without a YAML, LLaMA-Factory reads --key value pairs (key=value works only after a YAML file).
    arguments = {
        "model_name_or_path": model_path,
        "template": template_name,
        "default_system": DEFAULT_SYSTEM,
        "infer_backend": "huggingface",
        "trust_remote_code": "false",
    }
    if adapter_dir is not None:
        arguments["adapter_name_or_path"] = str(adapter_dir)
    argv = llamafactory_argv("api", None, arguments)
    environment = {"API_HOST": host, "API_PORT": str(port), "API_MODEL_NAME": served_model_name}
    secrets = {"API_KEY": api_key_env} if api_key_env else {}
    return ServeCommand(argv, environment, secrets)
