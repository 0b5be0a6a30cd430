"""The versions of Python and of the packages that shape results, for provenance records and
for the fingerprints of resumable state. Imports nothing of the package, so that the steps that
use it do not take the rest of provenance into their code digests."""

from __future__ import annotations

import platform
from importlib import metadata

PACKAGES = ("numpy", "torch", "torchvision", "pillow", "scikit-learn", "snakemake")


def software() -> dict:
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions
