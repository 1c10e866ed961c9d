"""Helpers and data shared by the launcher tests: temp inventories, secrets, a stand-in project."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

# Variables a CI runner may set that would change the launcher's defaults.
AMBIENT_VARIABLES = (
    "GITHUB_ACTOR",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_SERVER_URL",
    "GITHUB_STEP_SUMMARY",
    "SHIPLINE_REGISTRY",
    "SHIPLINE_WEBHOOK_URL",
    "SHIPLINE_PROJECT_DIR",
    "ANSIBLE_CONFIG",
)

SSH_KEY_TEXT = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
SECRETS = {
    "STAGING_SSH_KEY": SSH_KEY_TEXT,
    "STAGING_KNOWN_HOSTS": "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForTests",
    "STAGING_POSTGRES_PASSWORD": "pg-password-must-not-leak-71",
    "STAGING_REGISTRY_PASSWORD": "registry-token-must-not-leak-93",
}


def closed_port() -> int:
    """Return a 127.0.0.1 TCP port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_inventory(
    root: Path,
    hosts: dict[str, dict[str, object]],
    group_vars: dict[str, object] | None = None,
) -> Path:
    """Write ``root/hosts.yml`` with a ``staging`` group and ``root/group_vars/all.yml``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "hosts.yml").write_text(yaml.safe_dump({"staging": {"hosts": hosts}}), encoding="utf-8")
    if group_vars is not None:
        (root / "group_vars").mkdir(exist_ok=True)
        (root / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars), encoding="utf-8")
    return root


STAGING_GROUP_VARS = {
    "shipline_environment": "staging",
    "shipline_required_env": [
        "STAGING_SSH_KEY",
        "STAGING_KNOWN_HOSTS",
        "STAGING_POSTGRES_PASSWORD",
        "STAGING_REGISTRY_PASSWORD",
    ],
    "shipline_ssh_key_env": "STAGING_SSH_KEY",
    "shipline_known_hosts_env": "STAGING_KNOWN_HOSTS",
}


# A stand-in for the Shipline checkout: real playbooks and roles, run by real
# ansible-runner against a host with the local connection. Each role writes what the
# FAKE_SCENARIO variable selects, so the launcher's handling of every outcome runs.
FAKE_PROJECT_FILES = {
    "ansible.cfg": """\
        [defaults]
        roles_path = ./roles
        gathering = explicit
        retry_files_enabled = false
        """,
    "playbooks/deploy.yml": """\
        - name: Deploy the release
          hosts: staging
          roles:
            - preflight
            - deploy_lock
            - health
        """,
    "playbooks/rollback.yml": """\
        - name: Roll back
          hosts: staging
          roles:
            - preflight
            - rollback
        """,
    "playbooks/status.yml": """\
        - name: Report status
          hosts: staging
          roles:
            - preflight
            - release_history
        """,
    "playbooks/build.yml": """\
        - name: Build the images
          hosts: localhost
          connection: local
          gather_facts: false
          tasks:
            - name: Fail the build when asked
              ansible.builtin.fail:
                msg: build failed on purpose
              when: lookup('ansible.builtin.env', 'FAKE_SCENARIO') == 'build_failed'
        """,
    "roles/preflight/tasks/main.yml": """\
        - name: Check that the SSH key file is private
          ansible.builtin.stat:
            path: "{{ lookup('ansible.builtin.env', 'SHIPLINE_SSH_KEY_FILE') }}"
          register: preflight_key
        - name: Record the key file's mode
          ansible.builtin.copy:
            dest: "{{ shipline_result_dir }}/../key-file-check.json"
            content: "{{ {'exists': preflight_key.stat.exists, 'mode': preflight_key.stat.mode,
                          'path': preflight_key.stat.path} | to_json }}"
            mode: "0644"
        - name: Print a secret, which the launcher must mask
          ansible.builtin.debug:
            msg: "password {{ lookup('ansible.builtin.env', 'STAGING_POSTGRES_PASSWORD') }}"
        - name: Wait a little so the phase has a duration
          ansible.builtin.command: sleep 0.2
          changed_when: false
        """,
    "roles/deploy_lock/tasks/main.yml": """\
        # pause runs inside ansible-playbook, so a cancelled run leaves no child behind.
        - name: Wait long enough to be cancelled
          ansible.builtin.pause:
            seconds: 60
          when: lookup('ansible.builtin.env', 'FAKE_SCENARIO') == 'slow'
        - name: Report a lock held by someone else
          when: lookup('ansible.builtin.env', 'FAKE_SCENARIO') == 'lock'
          block:
            - name: Write the lock result
              ansible.builtin.copy:
                dest: "{{ shipline_result_dir }}/{{ inventory_hostname }}.json"
                content: "{{ {'outcome': 'failed', 'failed_phase': 'deploy_lock', 'sha': shipline_sha,
                              'message': 'lock held', 'lock': {'holder': 'bob (run 7)', 'sha': 'abcdef1',
                              'run': 'https://ci.example/7', 'since': '2026-01-01T00:00:00Z'}} | to_json }}"
                mode: "0644"
            - name: Stop on the held lock
              ansible.builtin.fail:
                msg: deploy lock held by bob
        """,
    "roles/health/tasks/main.yml": """\
        - name: Write the deploy result
          ansible.builtin.copy:
            dest: "{{ shipline_result_dir }}/{{ inventory_hostname }}.json"
            content: "{{ results[lookup('ansible.builtin.env', 'FAKE_SCENARIO')] | to_json }}"
            mode: "0644"
          vars:
            results:
              deployed: {outcome: deployed, app: demo, environment: staging, sha: "{{ shipline_sha }}",
                         previous_sha: "1111111", serving_sha: "{{ shipline_sha }}",
                         health: {status_code: 200, elapsed: 0.05, version: "{{ shipline_sha }}"}}
              rolled_back: {outcome: rolled_back, app: demo, environment: staging, sha: "{{ shipline_sha }}",
                            previous_sha: "1111111", serving_sha: "1111111", failed_phase: health,
                            message: "HTTP 502 from /api/health",
                            health: {status_code: 502, elapsed: 0.3, body_excerpt: bad gateway}}
              rollback_failed: {outcome: rollback_failed, app: demo, environment: staging,
                                sha: "{{ shipline_sha }}", previous_sha: "1111111", failed_phase: rollback,
                                message: "previous release did not become healthy"}
          when: lookup('ansible.builtin.env', 'FAKE_SCENARIO') != 'no_result'
        - name: Fail the deploy when the scenario is not a success
          ansible.builtin.fail:
            msg: "health check failed, password {{ lookup('ansible.builtin.env',
                                                          'STAGING_POSTGRES_PASSWORD') }}"
          when: lookup('ansible.builtin.env', 'FAKE_SCENARIO') != 'deployed'
        """,
    "roles/rollback/tasks/main.yml": """\
        - name: Write the rollback result
          ansible.builtin.copy:
            dest: "{{ shipline_result_dir }}/{{ inventory_hostname }}.json"
            content: "{{ {'outcome': lookup('ansible.builtin.env', 'FAKE_SCENARIO'), 'app': 'demo',
                          'environment': 'staging', 'sha': shipline_rollback_to,
                          'serving_sha': '1111111'} | to_json }}"
            mode: "0644"
        """,
    "roles/release_history/tasks/main.yml": """\
        - name: Write the status result
          ansible.builtin.copy:
            dest: "{{ shipline_result_dir }}/{{ inventory_hostname }}.json"
            content: "{{ {'outcome': 'status', 'app': 'demo', 'environment': 'staging',
                          'serving_sha': 'abcdef1', 'releases': [{'sha': 'abcdef1'}]} | to_json }}"
            mode: "0644"
        """,
}
