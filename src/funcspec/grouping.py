"""The greedy ranking's arithmetic, without torch: units added per step and candidates per
step. The config check and the cost plan use the same functions the ranking runs."""

from __future__ import annotations


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
