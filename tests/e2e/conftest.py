"""Fixtures for end-to-end tests on the real lab: dockerd, registry and a staging server."""

from __future__ import annotations

import os

import pytest

from tests.labkit import Lab, start_lab


def _lab_unavailable(reason: str) -> None:
    # Under CI a lab that cannot start is a failure, never a quiet skip.
    if os.environ.get("CI") == "true":
        pytest.fail(f"the lab could not start: {reason}")
    pytest.skip(f"the lab could not start: {reason}")


@pytest.fixture(scope="session")
def lab() -> Lab:
    """A fresh lab shared by the whole session.

    A lab left over from an earlier run is removed first, so the server starts bare,
    unless SHIPLINE_REUSE_LAB=1. The lab is removed at the end unless SHIPLINE_KEEP_LAB=1.
    """
    name = os.environ.get("SHIPLINE_TEST_LAB", "e2e")
    try:
        if os.environ.get("SHIPLINE_REUSE_LAB") != "1":
            from shipline.lab import lab as lab_api

            lab_api.down(name)
        running = start_lab(name)
    except Exception as error:
        _lab_unavailable(f"{type(error).__name__}: {error}")
    yield running
    if os.environ.get("SHIPLINE_KEEP_LAB") != "1":
        from shipline.lab import lab as lab_api

        lab_api.down(name)


@pytest.fixture(scope="session")
def provisioned(lab: Lab) -> Lab:
    """The lab with its server provisioned once."""
    run = lab.playbook("provision")
    assert run.returncode == 0, f"provision failed:\n{run.output[-4000:]}"
    return lab
