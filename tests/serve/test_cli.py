"""`ion serve` as a command: help, bad flags and bad configuration fail with one clear line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import run_ion


@pytest.mark.slow
def test_help_lists_the_options() -> None:
    result = run_ion("serve", "--help")
    assert result.returncode == 0
    for option in ("--port", "--redis-url", "--api-key-env", "--cors-origin", "--warm-up"):
        assert option in result.stdout


@pytest.mark.slow
def test_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_ion("serve", "--port", str(port), "--no-history", timeout=30)
    assert result.returncode == 2
    assert "port is in use" in result.stderr
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr


@pytest.mark.slow
def test_bad_redis_url_is_a_usage_error() -> None:
    result = run_ion("serve", "--redis-url", "localhost:6379")
    assert result.returncode == 2
    assert "--redis-url" in result.stderr


@pytest.mark.slow
def test_api_key_env_that_is_unset_is_a_config_error(tmp_path: Path) -> None:
    result = run_ion("serve", "--api-key-env", "ION_TEST_UNSET_KEY", cwd=tmp_path)
    assert result.returncode == 3
    assert "ION_TEST_UNSET_KEY" in result.stderr


@pytest.mark.slow
def test_unknown_serve_key_in_config_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "ion.toml").write_text("[serve]\nprot = 9000\n")
    result = run_ion("serve", cwd=tmp_path)
    assert result.returncode == 3
    assert "serve.prot" in result.stderr


def test_banner_brackets_ipv6_addresses() -> None:
    import dataclasses

    from ioncli.config import ServeSettings, Settings
    from ioncli.serve.server import describe

    settings = Settings(serve=dataclasses.replace(ServeSettings(), history=False))
    assert "listening on http://[::1]:8080\n" in describe(settings, "::1", 8080)
    every = describe(settings, "::", 8080)
    assert "http://[::1]:8080 (every interface: ::)" in every
    assert "http://127.0.0.1:8080 (every interface: 0.0.0.0)" in describe(settings, "0.0.0.0", 8080)
    assert "headers within 5 s" in every


@pytest.mark.slow
def test_an_unusable_history_folder_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = run_ion("serve", "--history", str(blocker / "history.sqlite3"), cwd=tmp_path)
    assert result.returncode == 3
    assert "not-a-folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_connection_limits_out_of_range_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "ion.toml").write_text("[serve]\nheader_read_timeout_seconds = 0.0\n")
    result = run_ion("serve", "--no-history", cwd=tmp_path)
    assert result.returncode == 3
    assert "header_read_timeout_seconds" in result.stderr
