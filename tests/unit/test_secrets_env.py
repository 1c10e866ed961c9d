"""Writing SSH key and known_hosts content to private temp files and removing them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shipline.inventory import InventorySettings
from shipline.secrets_env import KNOWN_HOSTS_FILE_VAR, SSH_KEY_FILE_VAR, SecretFiles

SETTINGS = InventorySettings(
    path=Path("inventories/staging"),
    environment="staging",
    ssh_key_env="TEST_KEY",
    known_hosts_env="TEST_KNOWN_HOSTS",
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private_and_removed():
    environ = {
        "TEST_KEY": "-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----",
        "TEST_KNOWN_HOSTS": "host ssh-ed25519 AAAA",
    }

    with SecretFiles(SETTINGS, environ) as exported:
        key = Path(exported[SSH_KEY_FILE_VAR])
        known_hosts = Path(exported[KNOWN_HOSTS_FILE_VAR])
        assert _mode(key.parent) == 0o700
        assert _mode(key) == 0o600
        assert _mode(known_hosts) == 0o600
        assert key.read_text() == "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"
        assert known_hosts.read_text() == "host ssh-ed25519 AAAA\n"

    assert not key.exists()
    assert not key.parent.exists()


def test_files_removed_after_exception():
    environ = {"TEST_KEY": "key", "TEST_KNOWN_HOSTS": "hosts"}

    with pytest.raises(RuntimeError), SecretFiles(SETTINGS, environ) as exported:
        key = Path(exported[SSH_KEY_FILE_VAR])
        raise RuntimeError("playbook crashed")

    assert not key.parent.exists()


def test_unset_or_unnamed_variables_write_nothing():
    settings = InventorySettings(path=Path("x"), environment="x", ssh_key_env="TEST_KEY")

    with SecretFiles(settings, {"TEST_KEY": ""}) as exported:
        assert exported == {}
    with SecretFiles(InventorySettings(path=Path("x"), environment="x"), {}) as exported:
        assert exported == {}


def test_failed_write_leaves_no_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    # A known_hosts value that cannot be encoded as UTF-8 makes the second write fail.
    environ = {"TEST_KEY": "key", "TEST_KNOWN_HOSTS": "\udcff"}

    with pytest.raises(UnicodeEncodeError), SecretFiles(SETTINGS, environ):
        pass

    assert list(tmp_path.iterdir()) == []
