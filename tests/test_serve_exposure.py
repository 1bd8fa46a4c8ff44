"""``serve`` listens on 127.0.0.1 by default; any other address needs an API key (or an explicit
``--no-api-key``), and the printed command never holds the key itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from regllm_lf.cli import main
from regllm_lf.serve.server import is_loopback, vllm_command

SECRET = "sk-no-debe-verse-123"
EXPOSED = ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "servidor.ejemplo.es", "[::]"]
LOOPBACK = ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"]


def _serve(tmp_path: Path, *extra: str) -> list[str]:
    return ["serve", "--model-path", str(tmp_path), "--template", "qwen", "--print", *extra]


def test_default_host_is_loopback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = vllm_command(str(tmp_path)).argv
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    for backend in ("vllm", "llamafactory"):
        assert main([*_serve(tmp_path), "--backend", backend]) == 0
        line = capsys.readouterr().out
        assert "127.0.0.1" in line and "0.0.0.0" not in line


@pytest.mark.parametrize("backend", ["vllm", "llamafactory"])
@pytest.mark.parametrize("host", EXPOSED)
def test_exposed_host_needs_a_key_or_an_explicit_no(
    host: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not is_loopback(host)
    assert main([*_serve(tmp_path, "--host", host, "--backend", backend)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "--api-key-env" in err and "--no-api-key" in err and "Traceback" not in err
    monkeypatch.setenv("REGLLM_KEY", SECRET)
    assert main([*_serve(tmp_path, "--host", host, "--backend", backend, "--api-key-env", "REGLLM_KEY")]) == 0
    shown = capsys.readouterr().out
    assert SECRET not in shown and '="$REGLLM_KEY"' in shown and host in shown
    assert main([*_serve(tmp_path, "--host", host, "--backend", backend, "--no-api-key")]) == 0
    assert host in capsys.readouterr().out


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_hosts_need_no_key(host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert is_loopback(host)
    assert main([*_serve(tmp_path, "--host", host)]) == 0
    assert host in capsys.readouterr().out


def test_key_and_no_key_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main([*_serve(tmp_path, "--host", "0.0.0.0", "--api-key-env", "X", "--no-api-key")])


def test_unset_key_variable_is_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REGLLM_UNSET_KEY", raising=False)
    argv = ["serve", "--model-path", str(tmp_path), "--template", "qwen", "--api-key-env", "REGLLM_UNSET_KEY"]
    assert main(argv) == 1
    assert "REGLLM_UNSET_KEY is not set" in capsys.readouterr().err
