"""A network trained from several seeds is several networks: one per seed, named
<network>_s<seed>, each with its own jobs and result folders. Figures group them back."""

from __future__ import annotations

import re

_INSTANCE = re.compile(r"^(?P<network>[a-z][a-z0-9_]*)_s(?P<seed>\d+)$")


def instance(network: str, seed: int) -> str:
    return f"{network}_s{seed}"


def split(name: str) -> tuple[str, int]:
    """(network, seed) of an instance name; the suffix is always appended, so a network whose
    own name ends in _s<digits> still splits at the last one."""
    match = _INSTANCE.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a network instance name (<network>_s<seed>)")
    return match["network"], int(match["seed"])


def instances(networks: dict, names=None) -> list[str]:
    """The instances of the named networks (all by default), in config order then seed order."""
    return [
        instance(n, s) for n in (networks if names is None else names) for s in networks[n]["seeds"]
    ]
