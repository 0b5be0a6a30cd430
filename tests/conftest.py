"""Shared fixtures: one smoke-config run of the whole workflow, reused by every test that
needs it."""

import pytest
from workflow_helpers import snakemake, workdir


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    work = workdir(tmp_path_factory.mktemp("smoke"))
    snakemake(work, "--cores", "2", "--configfile", "config/smoke.yaml")
    return work
