#!/usr/bin/env bash
# Every figure of the house model card, measured with `vitrine eval` (ONNX Runtime, the indexer and the embedded
# LanceDB store: what users run) on the full shared catalog as gallery.
# Usage: training/eval_model.sh <model folder> <out dir> [select|report]
#   select: only what model selection may look at (val split, the select half of the real photos);
#   report (default): the test split and the report half, measured once for a shipped model.
set -euo pipefail
MODEL="$1"; OUT="$2"; HALF="${3:-report}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
S="${SHARED_DATA:-$ROOT/../shared/data}"
P="$S/fashion-products"; R="$S/real-photos"
C=(--catalog "$P/catalog.csv" --images "$P/images" --model "$MODEL" --cache-dir "${EVAL_CACHE:-$OUT/cache}" --heatmap 0 --threads "${THREADS:-1}")
V="node $ROOT/dist/cli/main.js eval"
SPLIT=test; ASPLIT=(); [ "$HALF" = select ] && SPLIT=val && ASPLIT=(--split val)
# Attribute queries: every value of the field in the catalog (as house-v1.1's card measured them) when reporting.
mkdir -p "$OUT"
# shoppers' photos first (the issue's headline figures), then the text tasks
$V robustness "${C[@]}" --photos "$R" --labels "$R/labels.csv" --half "$HALF" --transforms all --split "$SPLIT" \
  --sample 500 --hires-images "$P/images-224" --out "$OUT/robustness" > "$OUT/robustness.log" 2>&1
$V zero-shot --model "$MODEL" --threads "${THREADS:-1}" --images "$R" --labels "$R/labels.csv" --label-map "$ROOT/data/real-photo-labels.json" \
  --half "$HALF" --prompt "a photo of {}" --prompt "{}" --out "$OUT/zero-shot" > "$OUT/zero-shot.log" 2>&1
$V text-to-image "${C[@]}" --queries-from title --split "$SPLIT" --out "$OUT/title" > "$OUT/title.log" 2>&1
for f in masterCategory subCategory articleType baseColour; do
  $V attribute "${C[@]}" --field "$f" "${ASPLIT[@]}" --out "$OUT/attr-$f" > "$OUT/attr-$f.log" 2>&1
  $V attribute "${C[@]}" --field "$f" "${ASPLIT[@]}" --typos --out "$OUT/typo-$f" > "$OUT/typo-$f.log" 2>&1
done
$V brand "${C[@]}" --split "$SPLIT" --out "$OUT/brand" > "$OUT/brand.log" 2>&1
echo "[eval_model] $MODEL -> $OUT"
