#!/usr/bin/env bash
# Every check of the GPU path, in one run on a machine with CUDA:
# 1. benchmarks/bench_gpu.py: training, evaluation and ranking rates of the paper's VGG16 in
#    float32 and in config `gpu`'s formats, and the fast ranking engine against the reference on
#    CUDA (float32, TF32 off); saved to gpu.json;
# 2. the cost plan of the paper config at those rates, 8 GPUs at once;
# 3. the smoke config end to end on the GPU, in a scratch folder, and the device and TF32 state a
#    ranking job recorded.
#
#     benchmarks/gpu_check.sh [OUT]      (OUT: where the outputs go; default results/benchmarks)
set -euo pipefail
out=${1:-results/benchmarks}
mkdir -p "$out"
export PYTHONUNBUFFERED=1

python benchmarks/bench_gpu.py --out "$out/gpu.json" 2>&1 | tee "$out/bench_gpu.txt"
funcspec plan --configfile config/paper.yaml --measured "$out/gpu.json" --parallel 8 \
    | tee "$out/plan.txt"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
start=$(date +%s)
# --resources gpu=4: at most 4 jobs share the one GPU (the smoke nets are small)
snakemake --cores all --resources gpu=4 --configfile config/smoke.yaml --directory "$scratch" \
    > "$out/smoke.log" 2>&1 || { tail -40 "$out/smoke.log"; exit 1; }
echo "smoke run on the GPU: $(($(date +%s) - start)) s" | tee -a "$out/plan.txt"
cp "$scratch/results/metrics/headline.json" "$out/smoke_headline.json"
python - "$scratch" <<'EOF' | tee -a "$out/plan.txt"
import json, pathlib, sys
record = next(pathlib.Path(sys.argv[1], "results/provenance/relevance").rglob("*.json"))
print(record.name, "computed on:", json.loads(record.read_text())["device"])
EOF
