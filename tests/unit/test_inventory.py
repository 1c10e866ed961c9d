"""Reading Shipline settings and host addresses from an inventory."""

from __future__ import annotations

import pytest
from launcher_support import write_inventory

from shipline.inventory import HostAddress, list_hosts, load_settings
from shipline.validation import InputError


def test_settings_from_all_yml(tmp_path):
    inventory = write_inventory(
        tmp_path / "staging",
        {"web1": {}},
        {
            "shipline_required_env": ["STAGING_HOST", "STAGING_SSH_KEY"],
            "shipline_ssh_key_env": "STAGING_SSH_KEY",
            "shipline_known_hosts_env": "STAGING_KNOWN_HOSTS",
        },
    )

    settings = load_settings(inventory)

    assert settings.required_env == ["STAGING_HOST", "STAGING_SSH_KEY"]
    assert settings.ssh_key_env == "STAGING_SSH_KEY"
    assert settings.known_hosts_env == "STAGING_KNOWN_HOSTS"
    assert settings.environment == "staging"


def test_settings_merge_all_directory_in_name_order(tmp_path):
    inventory = write_inventory(tmp_path / "prod", {"web1": {}})
    all_dir = inventory / "group_vars" / "all"
    all_dir.mkdir(parents=True)
    (all_dir / "a.yml").write_text("shipline_required_env: [A]\nshipline_environment: production\n")
    (all_dir / "b.yml").write_text("shipline_required_env: [B, C]\n")
    (all_dir / "c.yml").write_text(
        "secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nshipline_ssh_key_env: PROD_KEY\n"
    )
    (all_dir / "d.yml").write_text("$ANSIBLE_VAULT;1.1;AES256\n616263\n")
    (all_dir / "notes.txt").write_text("shipline_required_env: [IGNORED]\n")

    settings = load_settings(inventory)

    assert settings.required_env == ["B", "C"]
    assert settings.ssh_key_env == "PROD_KEY"
    assert settings.known_hosts_env is None
    assert settings.environment == "production"


def test_templated_environment_falls_back_to_directory(tmp_path):
    inventory = write_inventory(tmp_path / "lab", {"web1": {}}, {"shipline_environment": "{{ lab_name }}"})

    assert load_settings(inventory).environment == "lab"


def test_inventory_without_group_vars_has_no_settings(tmp_path):
    inventory = write_inventory(tmp_path / "bare", {"web1": {}})

    settings = load_settings(inventory)

    assert settings.required_env == []
    assert settings.ssh_key_env is None


def test_missing_inventory_rejected(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_settings(tmp_path / "nowhere")


def test_required_env_must_be_list(tmp_path):
    inventory = write_inventory(tmp_path / "staging", {"web1": {}}, {"shipline_required_env": "STAGING_HOST"})

    with pytest.raises(InputError, match=r"shipline_required_env in .*all\.yml must be a list"):
        load_settings(inventory)


def test_malformed_yaml_rejected(tmp_path):
    inventory = write_inventory(tmp_path / "staging", {"web1": {}})
    (inventory / "group_vars").mkdir()
    (inventory / "group_vars" / "all.yml").write_text("a: [unclosed\n")

    with pytest.raises(InputError, match="is not valid YAML"):
        load_settings(inventory)


def test_hosts_render_env_lookups(tmp_path, monkeypatch):
    monkeypatch.setenv("SHIPLINE_TEST_HOST", "127.0.0.1")
    monkeypatch.setenv("SHIPLINE_TEST_PORT", "2222")
    inventory = write_inventory(
        tmp_path / "staging",
        {
            "web1": {
                "ansible_host": "{{ lookup('ansible.builtin.env', 'SHIPLINE_TEST_HOST') }}",
                "ansible_port": "{{ lookup('ansible.builtin.env', 'SHIPLINE_TEST_PORT') | int }}",
            },
            "web2": {"ansible_host": "127.0.0.2"},
            "builder": {"ansible_connection": "local"},
        },
    )

    hosts = {host.name: host for host in list_hosts(inventory)}

    assert hosts["web1"] == HostAddress("web1", "127.0.0.1", 2222, "ssh")
    assert hosts["web2"] == HostAddress("web2", "127.0.0.2", 22, "ssh")
    assert hosts["builder"].uses_tcp is False


def test_empty_rendered_host_rejected(tmp_path, monkeypatch):
    monkeypatch.delenv("SHIPLINE_TEST_UNSET", raising=False)
    inventory = write_inventory(
        tmp_path / "staging",
        {"web1": {"ansible_host": "{{ lookup('ansible.builtin.env', 'SHIPLINE_TEST_UNSET') }}"}},
    )

    with pytest.raises(InputError, match=r"host web1 .* has an empty ansible_host"):
        list_hosts(inventory)


def test_inventory_without_hosts_rejected(tmp_path):
    inventory = tmp_path / "empty"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text("all: {}\n")

    with pytest.raises(InputError, match="contains no hosts"):
        list_hosts(inventory)
