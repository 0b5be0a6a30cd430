"""A network trained from several seeds is several networks: one per seed, named
<network>_s<seed>, each with its own jobs and result folders. Figures group them back.

A snapshot of an instance after epoch E of its training, <network>_s<seed>_e<E>, is a network
too: trained, ranked and lesioned like one, of the same network and seed."""

from __future__ import annotations

import re

_INSTANCE = re.compile(r"^(?P<network>[a-z][a-z0-9_]*)_s(?P<seed>\d+)(?:_e(?P<epoch>\d+))?$")


def instance(network: str, seed: int) -> str:
    return f"{network}_s{seed}"


def snapshot(instance: str, epoch: int) -> str:
    return f"{instance}_e{epoch}"


def _match(name: str) -> re.Match:
    match = _INSTANCE.match(name)
    if match is None:
        raise ValueError(
            f"{name!r} is not a network instance name (<network>_s<seed>, or _e<epoch> after it)"
        )
    return match


def split(name: str) -> tuple[str, int]:
    """(network, seed) of an instance or snapshot name; the suffix is always appended, so a
    network whose own name ends in _s<digits> still splits at the last one."""
    match = _match(name)
    return match["network"], int(match["seed"])


def epoch_of(name: str) -> int | None:
    """The epoch a snapshot was taken after; None for a trained instance."""
    epoch = _match(name)["epoch"]
    return None if epoch is None else int(epoch)


def snapshots(config: dict) -> list[str]:
    """Every snapshot config `snapshots` asks for: each epoch of each seed of its networks."""
    wanted = config["snapshots"]
    return [
        snapshot(name, epoch)
        for name in instances(config["networks"], wanted["networks"])
        for epoch in wanted["epochs"]
    ]


def instances(networks: dict, names=None) -> list[str]:
    """The instances of the named networks (all by default), in config order then seed order."""
    return [
        instance(n, s) for n in (networks if names is None else names) for s in networks[n]["seeds"]
    ]
