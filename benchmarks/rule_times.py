"""Where a run's time went: every job's Snakemake `benchmark:` file, summed per rule.

    python benchmarks/rule_times.py [RUN_FOLDER]

Each rule writes logs/<rule>/<wildcards>.tsv (wall seconds `s`, CPU seconds `cpu_time`, peak
memory `max_rss` in MB). Prints, per rule: jobs, total and largest wall seconds, CPU seconds and
the largest peak memory, most expensive first, then the sums. Jobs run side by side, so the sum
of wall seconds exceeds the run's elapsed time; CPU seconds over elapsed seconds is how busy the
cores were.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path


def rule_times(run: Path) -> dict[str, dict]:
    per_rule = defaultdict(lambda: {"jobs": 0, "s": 0.0, "max_s": 0.0, "cpu": 0.0, "max_rss": 0.0})
    for path in sorted((run / "logs").rglob("*.tsv")):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        rule = path.relative_to(run / "logs").parts[0]
        for row in rows:
            t = per_rule[rule]
            t["jobs"] += 1
            t["s"] += float(row["s"])
            t["max_s"] = max(t["max_s"], float(row["s"]))
            t["cpu"] += float(row["cpu_time"]) if row["cpu_time"] not in ("", "-") else 0.0
            rss = row["max_rss"]
            t["max_rss"] = max(t["max_rss"], float(rss) if rss not in ("", "-") else 0.0)
    return dict(per_rule)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", default=".", type=Path, help="the run's folder")
    times = rule_times(parser.parse_args().run)
    print(f"{'rule':<14}{'jobs':>6}{'wall s':>10}{'max s':>9}{'cpu s':>10}{'max MB':>9}")
    for rule, t in sorted(times.items(), key=lambda kv: -kv[1]["s"]):
        print(
            f"{rule:<14}{t['jobs']:>6}{t['s']:>10.0f}{t['max_s']:>9.1f}{t['cpu']:>10.0f}"
            f"{t['max_rss']:>9.0f}"
        )
    total = {k: sum(t[k] for t in times.values()) for k in ("jobs", "s", "cpu")}
    print(f"{'total':<14}{total['jobs']:>6}{total['s']:>10.0f}{'':>9}{total['cpu']:>10.0f}")


if __name__ == "__main__":
    main()
