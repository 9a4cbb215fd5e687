#!/usr/bin/env bash
# GPU check: the smoke preset on CUDA in bfloat16, then tokens/s of generation, scoring and
# training and the peak GPU memory. Exits non-zero on any failure.
#
#   bash benchmarks/gpu_check.sh               # on a CUDA machine
#   bash benchmarks/gpu_check.sh --allow-cpu   # no GPU: the same path on the CPU (bfloat16)
#
# Without a GPU and without --allow-cpu it says that no GPU is present and exits 1.
# PYTHON picks the interpreter (default: .venv/bin/python of this checkout, else python3);
# this checkout's src/ goes first on PYTHONPATH.
set -euo pipefail

ALLOW_CPU=0
for arg in "$@"; do
  case "$arg" in
    --allow-cpu) ALLOW_CPU=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "gpu_check: unknown option $arg (use --allow-cpu)" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

N_GPU="$("$PY" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)')"
TORCH="$("$PY" -c 'import torch; print(torch.__version__)')"
if [ "$N_GPU" = "0" ]; then
  SMI="$(command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1 | head -1 || echo 'nvidia-smi not found')"
  echo "gpu_check: NO GPU PRESENT: torch $TORCH sees no CUDA device ($SMI)."
  if [ "$ALLOW_CPU" = 0 ]; then
    echo "gpu_check: FAILED: nothing checked on a GPU. Run on a CUDA machine, or pass --allow-cpu to check the same path on the CPU."
    exit 1
  fi
  DEVICE=cpu
  SIZES=(--items 1 --requests 8 --max-new-tokens 16 --steps 2 --reps 1)
  echo "gpu_check: --allow-cpu: checking the same path on the CPU in bfloat16 (not a GPU result)."
else
  DEVICE=cuda
  SIZES=(--items 10 --requests 128 --max-new-tokens 64 --steps 20 --reps 2)
  "$PY" -c 'import torch; [print(f"gpu_check: cuda:{i} {torch.cuda.get_device_name(i)}, {torch.cuda.get_device_properties(i).total_memory / 2**30:.1f} GB") for i in range(torch.cuda.device_count())]'
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")"
echo "gpu_check: smoke preset, device $DEVICE, dtype bfloat16 -> $OUT/smoke"
# a fresh generation cache, so the run really generates
"$PY" -m biasinherit run --preset smoke --device "$DEVICE" --dtype bfloat16 \
  --set augment.cache_dir="$OUT/cache" -o "$OUT/smoke"

"$PY" - "$OUT/smoke" "$DEVICE" <<'EOF'
import json, sys
from pathlib import Path

run, device = Path(sys.argv[1]), sys.argv[2]
p = json.loads((run / "precision.json").read_text())
assert p["device"].startswith(device) and p["dtype"] == "bfloat16", p
assert (run / "report.md").exists() and (run / "metrics.parquet").exists()
stats = json.loads((run / "generate" / "stats.json").read_text())
logs = [json.loads(f.read_text()) for f in sorted(run.glob("adapters/*/train_log.json"))]
assert logs and all(x["dtype"] == "bfloat16" for x in logs), [x.get("dtype") for x in logs]
gen = stats["tokens"] / max(1e-9, stats["seconds_generating"])
train = sum(x["useful_tokens"] for x in logs) / sum(x["seconds"] for x in logs)
print(f"gpu_check: smoke run: {p['device']} {p['dtype']}; generation {gen:.1f} tokens/s "
      f"({stats['tokens']} tokens), training {train:.1f} useful tokens/s, "
      f"peak {'GPU memory' if device == 'cuda' else 'RSS'} {p['peak_bytes'] / 2**30:.2f} GB")
EOF

echo "gpu_check: bfloat16 throughput on the embedded model (benchmarks/bench_dtype.py)"
"$PY" "$ROOT/benchmarks/bench_dtype.py" --device "$DEVICE" --dtypes bfloat16 "${SIZES[@]}" 2>/dev/null
echo "gpu_check: OK ($DEVICE)"
