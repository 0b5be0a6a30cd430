"""The conda environment a cluster user selects installs this checkout, wherever conda reads it."""

import shutil
import subprocess
import sys

import yaml
from workflow_helpers import REPO, snakemake, workdir


def pip_lines() -> list[str]:
    env = yaml.safe_load((REPO / "envs" / "funcspec.yaml").read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def resolves_from(folder, lines, source) -> subprocess.CompletedProcess:
    """pip as conda runs it for an env file's pip section: the lines written to a requirements
    file in the env file's folder, pip run from there (a dry run: nothing is installed)."""
    requirements = folder / "condaenv.requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index"]
        + ["--no-build-isolation", "-r", requirements.name],
        cwd=folder,
        env={"FUNCSPEC_SOURCE": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_the_env_installs_this_checkout_from_inside_the_conda_prefix(tmp_path):
    """Bug guarded: `--editable ..` in envs/funcspec.yaml. Snakemake copies the file to
    .snakemake/conda/<hash>.yaml and conda runs pip from there, so `..` is .snakemake/, not
    the checkout, and the environment never installs. The path must hold from that folder."""
    prefix = tmp_path / "work" / ".snakemake" / "conda"
    prefix.mkdir(parents=True)
    shutil.copy(REPO / "envs" / "funcspec.yaml", prefix / "0123abcd.yaml")
    assert pip_lines() == ["--editable ${FUNCSPEC_SOURCE}"]
    result = resolves_from(prefix, pip_lines(), REPO)
    assert result.returncode == 0 and "Would install funcspec" in result.stdout, result.stderr
    assert resolves_from(prefix, ["--editable .."], REPO).returncode != 0  # the old line


def test_the_snakefile_points_the_env_at_its_checkout(tmp_path):
    """The variable the env file names is the checkout the workflow runs from."""
    work = workdir(tmp_path)
    probe = work / "workflow" / "rules" / "zz_probe.smk"
    probe.write_text('print("FUNCSPEC_SOURCE=" + os.environ["FUNCSPEC_SOURCE"])\n')
    with open(work / "Snakefile", "a") as f:
        f.write('\ninclude: "workflow/rules/zz_probe.smk"\n')
    out = snakemake(work, "-n", "--configfile", "config/smoke.yaml").stdout
    assert f"FUNCSPEC_SOURCE={work.resolve()}\n" in out
