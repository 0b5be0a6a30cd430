#!/usr/bin/env bash
# The paper configuration's DAG executed on a CPU at rehearsal size (docs/scaling.md).
#
#   bash benchmarks/rehearsal.sh [SCRATCH]
#
# Clones this checkout's HEAD into SCRATCH (default: a new folder under /tmp), so the checkout's
# own results/ stay untouched; fabricates the source trees there (benchmarks/rehearsal_trees.py);
# runs every rule of the paper DAG on config/paper.yaml merged with config/rehearsal.yaml; checks
# every figure with `funcspec provenance --verify`; prints each rule's time and peak memory, the
# peak `funcspec plan` predicts for it, and the measured JPEG and loader rates, which it saves to
# SCRATCH/rates.json for `funcspec plan --measured`.
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
scratch=$(realpath "${1:-$(mktemp -d /tmp/funcspec-rehearsal.XXXXXX)}")
configs=(config/paper.yaml config/rehearsal.yaml)

git clone --quiet "$repo" "$scratch/clone"
cd "$scratch/clone"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"   # the clone's code, not the installed one
python benchmarks/rehearsal_trees.py rehearsal --configfile "${configs[@]}"
start=$SECONDS
snakemake --cores all --configfile "${configs[@]}"
echo "rehearsal: every rule in $((SECONDS - start)) s"
for figure in results/figures/*.csv; do
  funcspec provenance --verify "$figure" > /dev/null
  echo "verified: $figure"
done
python benchmarks/rule_times.py .
python benchmarks/rehearsal_report.py . --configfile "${configs[@]}" --out "$scratch/rates.json"
