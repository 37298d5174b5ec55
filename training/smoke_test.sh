#!/usr/bin/env bash
# CI smoke test for the training pipeline (< 3 min on 2 CPU cores):
#  1. train a tiny model for a few steps on 200 train + 40 val products of the shared catalog, export it;
#  2. fine-tune that export (--init <folder>) on a JSONL catalog without a split column, export again;
#  3. train house-v2's recipe parts: the hybrid image tower (the pretrained MobileNetV2, needs `npm ci
#     --omit=optional --omit=peer --prefix training/tools`, beside the CNN and text tower of step 1's export, with a
#     first epoch on the locked text tower), pad mode, cached shopper-photo views and 224x224 views, image-image and
#     sigmoid losses, junk texts, synonyms, typos, plus auxiliary heads, look-alike batches, word dropout; export
#     with a fitted score calibration;
#  4. fine-tune that export as house-v2.1 does: the hybrid's CNN half trained live on the cached pixels (--tune-cnn);
#  5. fine-tune step 4's export as house-v2.2 does: the text tower alone (--lock-image), junk from held-out words;
#  6. check the folders: files present, ONNX non-empty, PyTorch vectors unit-norm after normalisation,
#     golden.json consistent with the checkpoint.
# Usage: training/smoke_test.sh [workdir]   (needs /usr/bin/python3 with torch; reads ../shared/data)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PY="${PYTHON:-/usr/bin/python3}"
DATA="${VITRINE_DATA:-$HERE/../../shared/data/fashion-products}"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
TINY=(--num-merges 1000 --text-width 64 --text-layers 1 --text-heads 2 --embed-dim 32
      --vision-channels 8,16,32,32 --vision-strides 2,2,2,1 --batch-size 32 --threads 2)

echo "[smoke] work dir $WORK"
PYTHONPATH="$HERE" "$PY" -m vitrine_train.train --catalog "$DATA/catalog.csv" --images "$DATA/images" --limit-train 200 --limit-val 40 \
  --epochs 2 --max-steps 6 "${TINY[@]}" --runs-dir "$WORK/runs" --cache-dir "$WORK/cache" --name base \
  --export "$WORK/base-model" > "$WORK/base.log" 2>&1 || { tail -30 "$WORK/base.log"; exit 1; }

# A user catalog: JSONL, no split column (5% held out as val), a subset of the train split only.
"$PY" - "$DATA/catalog.csv" "$WORK/user.jsonl" <<'PYEOF'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["split"] == "train"][1000:1120]
with open(sys.argv[2], "w") as f:
    for r in rows:
        r.pop("split")
        f.write(json.dumps(r) + "\n")
PYEOF
PYTHONPATH="$HERE" "$PY" -m vitrine_train.train --catalog "$WORK/user.jsonl" --images "$DATA/images" --init "$WORK/base-model" \
  --epochs 1 --max-steps 2 --batch-size 32 --runs-dir "$WORK/runs" --cache-dir "$WORK/cache" --name finetune \
  --export "$WORK/finetuned-model" > "$WORK/finetune.log" 2>&1 || { tail -30 "$WORK/finetune.log"; exit 1; }

PYTHONPATH="$HERE" "$PY" -m vitrine_train.train --catalog "$DATA/catalog.csv" --images "$DATA/images" --limit-train 200 --limit-val 40 \
  --epochs 2 --freeze-text-epochs 1 --max-steps 8 "${TINY[@]}" --image-tower hybrid --init-cnn "$WORK/base-model" \
  --init-text "$WORK/base-model" --image-head-hidden 64 \
  --resize-mode pad --shortest-edge 64 --crop-height 64 --crop-width 64 --shopper-views 1 --max-view-products 60 \
  --hires-views --image-image-weight 0.5 --sigmoid-weight 0.5 --junk-texts 8 --synonym-prob 0.3 --typo-prob 0.2 \
  --select robust --aux-weight 0.3 --hard-batch-frac 0.5 --word-dropout 0.2 --runs-dir "$WORK/runs" --cache-dir "$WORK/cache" \
  --name mobilenet --export "$WORK/mobilenet-model" > "$WORK/mobilenet.log" 2>&1 || { tail -30 "$WORK/mobilenet.log"; exit 1; }

# house-v2.1's recipe parts: fine-tune that export with its CNN half trained live on the cached pixels (--tune-cnn)
PYTHONPATH="$HERE" "$PY" -m vitrine_train.train --catalog "$DATA/catalog.csv" --images "$DATA/images" --limit-train 200 --limit-val 40 \
  --init "$WORK/mobilenet-model" --epochs 2 --freeze-text-epochs 1 --max-steps 6 --batch-size 32 --threads 2 --tune-cnn \
  --shopper-views 1 --max-view-products 60 --hires-views --image-image-weight 0.5 --sigmoid-weight 0.5 --junk-texts 8 \
  --typo-prob 0.25 --aux-weight 0.1 --select robust --runs-dir "$WORK/runs" --cache-dir "$WORK/cache" \
  --name tuned --export "$WORK/hybrid-tuned-model" > "$WORK/tuned.log" 2>&1 || { tail -30 "$WORK/tuned.log"; exit 1; }

# house-v2.2's recipe parts: fine-tune step 4's export on the text side alone, junk drawn from held-out words too
PYTHONPATH="$HERE" "$PY" -m vitrine_train.train --catalog "$DATA/catalog.csv" --images "$DATA/images" --limit-train 200 --limit-val 40 \
  --init "$WORK/hybrid-tuned-model" --epochs 1 --max-steps 4 --batch-size 32 --threads 2 --lock-image --junk-words held-out \
  --shopper-views 1 --max-view-products 60 --hires-views --sigmoid-weight 0.5 --junk-texts 8 --typo-prob 0.25 \
  --aux-weight 0.1 --select robust --runs-dir "$WORK/runs" --cache-dir "$WORK/cache" \
  --name text-tuned --export "$WORK/text-tuned-model" > "$WORK/text-tuned.log" 2>&1 || { tail -30 "$WORK/text-tuned.log"; exit 1; }
grep -q "^\[junk\] [0-9]* junk words" "$WORK/text-tuned.log" || { echo "[smoke] no held-out junk words"; exit 1; }

PYTHONPATH="$HERE" "$PY" - "$WORK/base-model" "$WORK/finetuned-model" "$WORK/mobilenet-model" "$WORK/hybrid-tuned-model" \
  "$WORK/text-tuned-model" <<'PYEOF'
import json, os, sys
import numpy as np, torch
from vitrine_train.checkpoint import load_checkpoint
for folder in sys.argv[1:]:
    for f in ["config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json",
              "onnx/text_model.onnx", "onnx/vision_model.onnx", "golden.json", "pytorch_model.pt"]:
        p = os.path.join(folder, f)
        assert os.path.getsize(p) > 0, f"missing or empty: {p}"
    cfg = json.load(open(os.path.join(folder, "config.json")))
    assert cfg["model_type"] == "clip" and cfg["projection_dim"] == 32, cfg
    cal = cfg["vitrine"]["calibration"]  # fitted on val; a kind is left out when junk outscores real queries
    assert cal["fitted_on"] == "val" and all(cal[k]["scale"] > 0 for k in ("text", "image") if k in cal), cal
    if os.path.basename(folder) in ("mobilenet-model", "hybrid-tuned-model", "text-tuned-model"):
        pre = json.load(open(os.path.join(folder, "preprocessor_config.json")))
        assert pre["vitrine"] == {"resize_mode": "pad", "pad_colour": [255, 255, 255]}, pre
    model, tok, _, _ = load_checkpoint(folder)
    g = json.load(open(os.path.join(folder, "golden.json")))
    with torch.no_grad():
        ids, mask = tok.encode_batch([t["text"] for t in g["texts"]], g["context_length"])
        zt = model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask), normalize=True)
        px = torch.tensor(np.array([im["pixel_values"] for im in g["images"]], dtype=np.float32)).reshape(
            -1, *g["images"][0]["pixel_values_shape"][1:])
        zi = model.encode_image(px, normalize=True)
    for z in (zt, zi):
        assert torch.allclose(z.norm(dim=-1), torch.ones(len(z)), atol=1e-5), z.norm(dim=-1)
    # the fp16 checkpoint reproduces the exported (fp32) golden vectors closely
    gt = torch.tensor([t["text_embeds_normalized"] for t in g["texts"]])
    gi = torch.tensor([im["image_embeds_normalized"] for im in g["images"]])
    assert (zt - gt).abs().max() < 2e-2 and (zi - gi).abs().max() < 2e-2, ((zt - gt).abs().max(), (zi - gi).abs().max())
    for t in g["texts"]:
        assert t["input_ids"] == tok.encode(t["text"], g["context_length"])
    print(f"[smoke] ok {folder}: dim {zt.shape[1]}, {len(g['texts'])} texts, {len(g['images'])} images")
# --tune-cnn trained the hybrid's CNN half; the MobileNetV2 stayed nsfwjs's (not stored, read again on load)
before, after = (load_checkpoint(f)[0].vision for f in sys.argv[3:5])
assert any(not torch.equal(p, q) for p, q in zip(before.cnn.parameters(), after.cnn.parameters())), "CNN did not train"
assert all(torch.equal(p, q) for p, q in zip(before.backbone.parameters(), after.backbone.parameters())), "backbone moved"
assert not any(k.startswith("vision.mobilenet.backbone.") for k in torch.load(os.path.join(sys.argv[4], "pytorch_model.pt"))["state_dict"])
print("[smoke] ok --tune-cnn: CNN trained, MobileNetV2 locked")
# --lock-image trained the text tower alone: every image weight is step 4's (fp16 in both folders)
(img_a, txt_a), (img_b, txt_b) = ((m.vision, m.text) for m in (load_checkpoint(f)[0] for f in sys.argv[4:6]))
assert all(torch.equal(p, q) for p, q in zip(img_a.parameters(), img_b.parameters())), "image tower moved"
assert any(not torch.equal(p, q) for p, q in zip(txt_a.parameters(), txt_b.parameters())), "text tower did not train"
print("[smoke] ok --lock-image: text tower trained, image tower unchanged")
PYEOF
echo "[smoke] passed"
