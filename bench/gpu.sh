#!/usr/bin/env bash
# The GPU run, prepared: run this first whenever a machine with an accelerator is lent.
#
#   bench/gpu.sh [OUT_DIR]          # OUT_DIR defaults to $OUT, else ./bench-out/gpu
#
# Writes OUT_DIR/gpu.json with, on CUDA (budget: under 8 minutes on an H200):
#   throughput_minilm / throughput_base  core trainer vs HF Trainer at its defaults and tuned (bf16,
#                                        group_by_length, pad to 8), bf16 + torch.compile, with the fraction
#                                        of the arithmetic limit
#   mpnet_recipes                        bench/defaults.py --model mpnet on FPB and Banking77 (default recipe,
#                                        TF-IDF + LR, the best hand-tuned recipe)
#   bot_retrieval_mpnet                  bench/customer_service.py retrieval section, mpnet encoder, 5 folds
# Without an accelerator it runs a short CPU fallback of the same steps (tiny sizes), so the script is
# known to work (tests/core/test_gpu_script.py, marked slow). Each step has its own time limit; a step
# that fails or times out is recorded with its exit code and the tail of its log, and the others still run.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-${OUT:-$ROOT/bench-out/gpu}}"
mkdir -p "$OUT_DIR/parts"
PY="${PYTHON:-python}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export VERTICALS_HOME="${VERTICALS_HOME:-$(mktemp -d)}"
cd "$ROOT"

if "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  MODE=cuda
else
  MODE=cpu
fi
MPNET=minilm
if "$PY" -c 'from shared.models.catalog import resolve_model; resolve_model("mpnet")' 2>/dev/null; then
  MPNET=mpnet
fi
echo "bench/gpu.sh: mode $MODE, encoder for the recipe runs: $MPNET, writing $OUT_DIR/gpu.json"
START=$(date +%s)

# step NAME SECONDS CMD... : run one step under a time limit, keep its log and exit code
step() {
  local name=$1 limit=$2
  shift 2
  local t0=$(date +%s)
  timeout "$limit" "$@" >"$OUT_DIR/parts/$name.log" 2>&1
  local rc=$?
  echo "{\"rc\": $rc, \"seconds\": $(( $(date +%s) - t0 )), \"limit_s\": $limit}" >"$OUT_DIR/parts/$name.status.json"
  echo "  $name: exit $rc in $(( $(date +%s) - t0 )) s"
}

if [ "$MODE" = cuda ]; then
  step throughput_minilm 100 "$PY" bench/throughput.py --samples 20000 --batch-size 256 --compile \
    --json "$OUT_DIR/parts/throughput_minilm.json"
  step throughput_base 120 "$PY" bench/throughput.py --random-init base --samples 20000 --batch-size 256 --compile \
    --json "$OUT_DIR/parts/throughput_base.json"
  step mpnet_recipes 170 "$PY" bench/defaults.py --model "$MPNET" --datasets fpb banking77 \
    --json "$OUT_DIR/parts/mpnet_recipes.json"
  step bot_retrieval_mpnet 80 "$PY" bench/customer_service.py --sections retrieval --encoder "$MPNET" --folds 5 \
    --out "$OUT_DIR/parts/bot_retrieval_mpnet.json"
else
  step throughput_minilm 1200 "$PY" bench/throughput.py --samples 32 --skip-defaults \
    --json "$OUT_DIR/parts/throughput_minilm.json"
  step mpnet_recipes 900 "$PY" bench/defaults.py --model minilm --datasets trec6 --limit 120 --epochs 1 \
    --json "$OUT_DIR/parts/mpnet_recipes.json"
fi

"$PY" - "$OUT_DIR" "$MODE" "$MPNET" "$START" <<'EOF'
import json, sys, time
from pathlib import Path

out, mode, encoder, start = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
report = {"mode": mode, "recipe_encoder": encoder, "seconds": round(time.time() - start), "steps": {}}
try:
    import torch
    report["device"] = torch.cuda.get_device_name() if mode == "cuda" else f"CPU, {torch.get_num_threads()} threads"
except Exception as exc:  # the report is still written
    report["device"] = f"unknown ({exc})"
for status in sorted((out / "parts").glob("*.status.json")):
    name = status.name[: -len(".status.json")]
    entry = json.loads(status.read_text())
    result = out / "parts" / f"{name}.json"
    if result.exists():
        entry["result"] = json.loads(result.read_text())
    if entry["rc"] != 0:
        log = out / "parts" / f"{name}.log"
        entry["log_tail"] = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    report["steps"][name] = entry
(out / "gpu.json").write_text(json.dumps(report, indent=2, default=str))
print(f"wrote {out / 'gpu.json'}: " + ", ".join(f"{k} rc={v['rc']}" for k, v in report["steps"].items()))
EOF
