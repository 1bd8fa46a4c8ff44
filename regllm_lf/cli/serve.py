"""Subcommands of the serving stage: merge, serve, chat."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from regllm_lf import project
from regllm_lf.cli.common import add_command


def command_merge(arguments: argparse.Namespace) -> int:
    from regllm_lf.serve.merge import export_command, finalize_merged_dir
    from regllm_lf.train.launch import llamafactory_cli
    from regllm_lf.train.models import model_named

    spec = model_named(arguments.model)
    overrides = {}
    if arguments.base:
        overrides["model_name_or_path"] = arguments.base
    if arguments.adapter:
        overrides["adapter_name_or_path"] = arguments.adapter
    export_dir = Path(arguments.export_dir or project.root() / spec.merged_dir(arguments.qlora))
    overrides["export_dir"] = str(export_dir)
    argv = export_command(project.relative_to_root(spec.merge_recipe(arguments.qlora)), overrides)
    print(shlex.join(argv), flush=True)
    if not arguments.finalize_only:
        argv[0] = llamafactory_cli()
        code = subprocess.call(argv, cwd=project.root())
        if code:
            return code
    report = finalize_merged_dir(export_dir, spec.template)
    kept = "kept the base model's" if report.base_template_matched else "wrote LLaMA-Factory's training"
    print(f"chat template: {kept} jinja; parity with training: {report.saved_template_matched}")
    print(f"generation_config.json eos_token_id: {report.stop_token_ids}")
    print(f"serve it: regllm-lf serve --model-path {export_dir}")
    return 0 if report.saved_template_matched else 1


def command_serve(arguments: argparse.Namespace) -> int:
    from regllm_lf.serve.adapters import adapter_base_model, is_adapter
    from regllm_lf.serve.chat import template_for
    from regllm_lf.serve.server import exposure_problem, llamafactory_api_command, missing_key_variable, vllm_command

    refusal = exposure_problem(arguments.host, arguments.api_key_env, arguments.no_api_key)
    if refusal is None and not arguments.print_only:
        refusal = missing_key_variable(arguments.api_key_env)
    if refusal:
        print(f"regllm-lf serve: {refusal}", file=sys.stderr)
        return 1
    # Writing an adapter's chat template loads LLaMA-Factory, which logs to stdout: keep stdout for the command.
    os.environ.setdefault("LLAMAFACTORY_VERBOSITY", "WARN")
    path = Path(arguments.model_path)
    adapter = path if is_adapter(path) else None
    model = (arguments.base or adapter_base_model(path)) if adapter else str(path)
    template = template_for(path, arguments.template)
    if arguments.backend == "vllm":
        command = vllm_command(
            model,
            adapter,
            template,
            arguments.port,
            arguments.host,
            arguments.tensor_parallel_size,
            arguments.max_model_len,
            arguments.api_key_env,
            device=arguments.device,
        )
    else:
        command = llamafactory_api_command(
            model, template, adapter, arguments.port, arguments.host, arguments.api_key_env
        )
    print(command.shown(), flush=True)
    if arguments.print_only:
        return 0
    return subprocess.call(command.argv, env=command.child_environment())


def command_chat(arguments: argparse.Namespace) -> int:
    from regllm_lf.serve.chat import endpoint_answerer, local_answerer, run_chat

    if arguments.base_url:
        answer = endpoint_answerer(arguments.base_url, arguments.model, arguments.api_key_env, arguments.max_tokens)
    elif arguments.model_path:
        answer = local_answerer(Path(arguments.model_path), arguments.base, arguments.template, arguments.max_tokens)
    else:
        print("give --model-path (merged dir or adapter) or --base-url (OpenAI-compatible server)", file=sys.stderr)
        return 2
    if arguments.mode == "single" and not arguments.query:
        print("--mode single needs --query", file=sys.stderr)
        return 2
    return run_chat(answer, arguments.query, interactive=arguments.mode == "interactive")


def register(commands: Any) -> None:
    from regllm_lf.cli.train import model_keys

    keys = model_keys()
    merge = add_command(
        commands,
        "merge",
        command_merge,
        "Merge the LoRA adapter into the base model (llamafactory-cli export recipes/merge/<model>.yaml) "
        "and make the merged dir serve exactly like training: chat template parity, stop tokens.",
    )
    merge.add_argument("--model", choices=keys, default="qwen2.5-7b", help="model (default: %(default)s)")
    merge.add_argument("--qlora", action="store_true", help="merge the QLoRA adapter (onto the unquantized base)")
    merge.add_argument("--base", help="base model path or id (default: the recipe's)")
    merge.add_argument("--adapter", help="adapter dir (default: the recipe's saves/<model>/lora/sft)")
    merge.add_argument("--export-dir", help="merged model dir (default: saves/<model>/merged)")
    merge.add_argument(
        "--finalize-only",
        action="store_true",
        help="skip the export; only apply the template and generation_config fixes to --export-dir",
    )

    serve = add_command(
        commands,
        "serve",
        command_serve,
        "Serve a merged dir, or base + adapter, behind an OpenAI-compatible endpoint "
        "(vllm serve, or llamafactory-cli api on CPU).",
    )
    serve.add_argument("--model-path", required=True, help="merged model dir, or a LoRA adapter dir")
    serve.add_argument("--base", help="base model for an adapter (default: the adapter's base_model_name_or_path)")
    serve.add_argument(
        "--backend",
        choices=["vllm", "llamafactory"],
        default="vllm",
        help="vllm (.venv-vllm from scripts/setup_vllm_env.sh when present, else vllm on PATH; GPU or CPU) or "
        "llamafactory (`llamafactory-cli api`, Hugging Face backend)",
    )
    serve.add_argument("--template", help="LLaMA-Factory template (default: from the merge report or the base model)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="listen address (default: %(default)s, this machine only); any other address needs --api-key-env "
        "or --no-api-key",
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    serve.add_argument("--tensor-parallel-size", type=int, default=1, help="vLLM: GPUs per model")
    serve.add_argument("--max-model-len", type=int, help="vLLM: context length to allocate")
    serve.add_argument(
        "--device",
        choices=["auto", "gpu", "cpu"],
        default="auto",
        help="vLLM: where it runs; auto: gpu when nvidia-smi lists one. cpu adds --enforce-eager "
        "(starts in ~30 s instead of minutes of graph compiling)",
    )
    key = serve.add_mutually_exclusive_group()
    key.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable holding the API key; passed to the server's environment only, never printed",
    )
    key.add_argument(
        "--no-api-key",
        action="store_true",
        help="serve without a key on a non-loopback --host (anyone who reaches the port can use the model)",
    )
    serve.add_argument("--print", dest="print_only", action="store_true", help="show the command, run nothing")

    chat = add_command(
        commands, "chat", command_chat, "Ask the model: base + LoRA adapter, a merged dir, or an OpenAI-compatible URL."
    )
    chat.add_argument("--model-path", help="merged model dir, or a LoRA adapter dir")
    chat.add_argument("--base", help="base model for an adapter (default: the adapter's base_model_name_or_path)")
    chat.add_argument("--template", help="LLaMA-Factory template (default: detected)")
    chat.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1")
    chat.add_argument("--model", default="regllm", help="model name at the endpoint (default: %(default)s)")
    chat.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the endpoint's API key")
    chat.add_argument("--mode", choices=["interactive", "single"], default="single", help="(default: %(default)s)")
    chat.add_argument("--query", help="the question for --mode single")
    chat.add_argument("--max-tokens", type=int, default=512, help="answer length limit (default: %(default)s)")
