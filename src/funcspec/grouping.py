"""The greedy ranking's arithmetic, without torch: units added per step, candidates per step,
and the pruned engine's shortlist. The config check (which refuses a shortlist smaller than a
group before any job) and the cost plan use the same functions the ranking runs."""

from __future__ import annotations

import argparse
import re

# `relevance.candidates` in group sizes, valid for every layer whatever its width, with a floor
# in units for the narrow layers, whose group may be a single unit.
_GROUPS = re.compile(r"([1-9][0-9]*) groups(?:, at least ([1-9][0-9]*))?")


def group_size(n_units, fraction, group_fraction, max_steps=None) -> int:
    """Units added per greedy step: the paper's int(group_fraction * N), at least 1, grown when
    needed to pass `fraction` within `max_steps` steps."""
    group = max(1, int(group_fraction * n_units))
    if max_steps is not None:
        group = max(group, int(fraction * n_units // max_steps) + 1)
    return group


def candidates_per_step(n_units, group, fraction) -> list[int]:
    """How many candidates each step has; its length is the number of steps."""
    plan, chosen = [], 0
    while chosen <= fraction * n_units and chosen < n_units:
        plan.append(n_units - chosen)
        chosen += min(group, n_units - chosen)
    return plan


def shortlist_size(candidates: int | str, group: int) -> int:
    """M, the candidates a pruned step evaluates exactly: `candidates` units, or "<k> groups",
    k times the layer's group size, or "<k> groups, at least <n>", the larger of that and n."""
    match = _GROUPS.fullmatch(str(candidates))
    if match is None:
        return int(candidates)
    return max(int(match[1]) * group, int(match[2] or 0))


def parse_candidates(text: str) -> int | str:
    """`--candidates`: a unit count, "<k> groups" or "<k> groups, at least <n>"."""
    if text.isdigit() and int(text) > 0:
        return int(text)
    if _GROUPS.fullmatch(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither a unit count, '<k> groups' nor '<k> groups, at least <n>'"
    )
