"""Shared fixtures: one smoke-config run of the whole workflow, reused by every test that
needs it, and the same run carried on to every other family."""

import shutil

import pytest
from workflow_helpers import ARCHITECTURES, snakemake, workdir


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    work = workdir(tmp_path_factory.mktemp("smoke"))
    snakemake(work, "--cores", "2", "--configfile", "config/smoke.yaml")
    return work


@pytest.fixture(scope="session")
def architectures_run(smoke_run, tmp_path_factory):
    """A copy of the smoke run, completed with config/smoke_architectures.yaml laid over it:
    only the other families' jobs and what reads them run."""
    work = tmp_path_factory.mktemp("architectures") / "work"
    shutil.copytree(smoke_run, work, symlinks=True)
    snakemake(work, "--cores", "2", "--configfile", *ARCHITECTURES)
    return work
