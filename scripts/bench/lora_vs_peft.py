#!/usr/bin/env python3
"""LoRA on SST-2, BertKit and Hugging Face PEFT side by side, with the same recipe.

Run by hand (never in CI), after `swift build -c release --product bertkit` and `pip install peft`:

    python3 scripts/bench/lora_vs_peft.py [--train-rows 4000] [--lr 1e-3] [--only bertkit|peft] [--work DIR]
                                          [--bertkit-modes lora,finetune,frozen]

The recipe, on both sides: sentence-transformers/all-MiniLM-L6-v2 (local Hugging Face cache) with BERT's pooler
head (`BertForSequenceClassification`: pooler dense+tanh on [CLS], dropout 0.1, a linear classifier; the
pooler and the classifier train fully: PEFT's modules_to_save), LoRA r=8, alpha 16, dropout 0.1 on every
layer's attention query and value projections; 1 epoch, batch size 32, AdamW (weight decay 0.01, none on biases
and LayerNorm), 10% linear warmup then linear decay, gradient clipping at 1, inputs truncated to 128 tokens.
Data: a seeded random sample of --train-rows rows of ../shared/data/sst2/train.tsv (0: all 67,349), the same
file for both; accuracy on the 872 SST-2 dev sentences.

--bertkit-modes also trains BertKit's other modes on the same data and head (learning rate: each mode's default,
5e-5 for finetune, 1e-3 for frozen), for the speed and accuracy LoRA sits between.

Prints a table: dev accuracy, trainable parameters (and % of the encoder), training examples/s over the epoch
(tokenization excluded on both sides; for BertKit's frozen mode, the one pass computing the encoder's features
included) and peak resident memory of the process.
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))
from bert_fixtures import hub_model  # noqa: E402  the Hugging Face cache lookup the fixtures use
DATA = ROOT.parent / "shared" / "data" / "sst2"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
RANK, ALPHA, DROPOUT, TARGETS = 8, 16, 0.1, ["query", "value"]
BATCH, WARMUP, DECAY, CLIP, MAX_LENGTH, SEED = 32, 0.1, 0.01, 1.0, 128, 0


def read_table(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[0], rows[1:]


def subset(work, rows_wanted):
    header, rows = read_table(DATA / "train.tsv")
    if rows_wanted:
        rows = random.Random(SEED).sample(rows, rows_wanted)
    path = work / f"sst2-train-{len(rows)}.tsv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    return path, len(rows)


def run_peft(train_path, lr, threads):
    import torch
    import transformers
    import peft
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    base = hub_model(MODEL)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=2)
    encoder_params = sum(p.numel() for n, p in model.named_parameters() if n.startswith("bert."))
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT,
                        target_modules=TARGETS, modules_to_save=["pooler"])
    model = get_peft_model(model, config)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    adapters = sum(p.numel() for n, p in trainable if "lora_" in n)
    decay = [p for n, p in trainable if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in trainable if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": DECAY}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=lr, eps=1e-8)

    _, rows = read_table(train_path)
    texts, labels = [r[1] for r in rows], [int(r[0]) for r in rows]
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(SEED)).tolist()
    batches = []
    for start in range(0, len(order), BATCH):
        idx = order[start:start + BATCH]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        batches.append((enc, torch.tensor([labels[i] for i in idx])))
    steps = len(batches)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(steps * WARMUP), steps)

    model.train()
    start = time.perf_counter()
    for step, (enc, y) in enumerate(batches):
        loss = torch.nn.functional.cross_entropy(model(**enc).logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in trainable], CLIP)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if step % 25 == 0:
            print(f"  peft step {step}/{steps} loss {loss.item():.4f}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - start

    model.eval()
    _, dev = read_table(DATA / "dev.tsv")
    correct = 0
    with torch.no_grad():
        for s in range(0, len(dev), 64):
            chunk = dev[s:s + 64]
            enc = tokenizer([r[1] for r in chunk], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            pred = model(**enc).logits.argmax(-1).tolist()
            correct += sum(int(p == int(r[0])) for p, r in zip(pred, chunk))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(side=f"PEFT {peft.__version__} (torch {torch.__version__})", accuracy=correct / len(dev),
                trainable=sum(p.numel() for _, p in trainable), adapters=adapters, encoder=encoder_params,
                rate=len(texts) / seconds, seconds=seconds, peak=peak)


def run_bertkit(bertkit, train_path, count, lr, work, mode="lora"):
    out = work / f"bertkit-{mode}"
    lora = ["--lora-rank", str(RANK), "--lora-alpha", str(ALPHA), "--lora-dropout", str(DROPOUT),
            "--lora-targets", ",".join(TARGETS)] if mode == "lora" else []
    command = [str(bertkit), "train", "--model", MODEL, "--task", "classify", "--mode", mode, "--pooling", "pooler",
               *lora, "--train", str(train_path), "--dev", str(DATA / "dev.tsv"),
               "--epochs", "1", "--batch-size", str(BATCH), *(["--lr", str(lr)] if lr else []), "--warmup", str(WARMUP),
               "--weight-decay", str(DECAY), "--max-grad-norm", str(CLIP), "--max-length", str(MAX_LENGTH),
               "--seed", str(SEED), "--overwrite", "--output", str(out)]
    print("  " + " ".join(command), file=sys.stderr)
    log = work / f"bertkit-{mode}-train.log"
    with open(log, "w") as err:
        done = subprocess.run(["/usr/bin/env", "time", "-v", *command], stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
    text = log.read_text()
    if done.returncode != 0:
        raise SystemExit(f"bertkit train failed ({done.returncode}):\n{text[-3000:]}")
    report = json.loads((out / "report.json").read_text())
    settings = {s["name"]: s["value"] for s in report["settings"]}
    epoch = sum(t["seconds"] for t in report["timings"] if t["name"] in ("epoch 1", "encoder features (once)"))
    peak = next(int(line.split(":")[1]) for line in text.splitlines() if "Maximum resident" in line) / 1024
    summary = [line for line in text.splitlines() if line.startswith("Trainable params") or line.startswith("Total params")]
    adapters = sum(int(line.split()[-2].replace(",", "")) for line in text.splitlines()
                   if "(LoRA: r=" in line and line.split()[-1] == "Yes")
    accuracy = report["metrics"]["classification"]["accuracy"] if "classification" in report["metrics"] else report["metrics"]["accuracy"]
    return dict(side=f"BertKit --mode {mode}" + ("" if lr else f" (lr {settings['learning rate']})"), accuracy=accuracy, trainable=int(settings["trainable params"].replace(",", "")),
                adapters=adapters, encoder=None, rate=count / epoch, seconds=epoch, peak=peak,
                summary=summary)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bertkit", default=".build/release/bertkit")
    parser.add_argument("--train-rows", type=int, default=4000, help="0: the whole training set")
    parser.add_argument("--lr", type=float, default=1e-3, help="LoRA's peak learning rate, both sides (default: BertKit's, 1e-3)")
    parser.add_argument("--only", choices=["bertkit", "peft"])
    parser.add_argument("--bertkit-modes", default="lora", help="comma-separated BertKit modes to train (default: lora)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", help="folder for the subset, the BertKit run and logs (default: a temporary folder)")
    args = parser.parse_args()
    bertkit = Path(args.bertkit) if Path(args.bertkit).is_absolute() else ROOT / args.bertkit
    if args.only != "peft" and not bertkit.exists():
        raise SystemExit(f"no bertkit binary at {bertkit}: run `swift build -c release --product bertkit`")
    if not (DATA / "train.tsv").exists():
        raise SystemExit(f"{DATA} not found: SST-2 from ../shared/data is needed")
    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="bertkit-lora-vs-peft-"))
    work.mkdir(parents=True, exist_ok=True)
    train_path, count = subset(work, args.train_rows)

    results = []
    if args.only != "peft":
        for mode in args.bertkit_modes.split(","):
            print(f"== BertKit --mode {mode}, {count} examples", file=sys.stderr)
            results.append(run_bertkit(bertkit, train_path, count, args.lr if mode == "lora" else None, work, mode))
    if args.only != "bertkit":
        print(f"== PEFT, {count} examples", file=sys.stderr)
        results.append(run_peft(train_path, args.lr, args.threads))
    encoder = next((r["encoder"] for r in results if r["encoder"]), 22_713_216)

    print(f"\n{datetime.date.today()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
          f"SST-2 train sample of {count} (seed {SEED}), dev 872; r={RANK}, alpha {ALPHA}, dropout {DROPOUT}, "
          f"{'+'.join(TARGETS)}, pooler head, lr {args.lr:g}, 1 epoch, batch {BATCH}\n")
    print("| side | dev accuracy | trainable params (adapters, % of encoder) | examples/s | epoch | peak RSS |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['side']} | {r['accuracy']:.4f} | {r['trainable']:,} ({r['adapters']:,}, {100 * r['adapters'] / encoder:.2f}%) "
              f"| {r['rate']:.1f} | {r['seconds']:.0f} s | {r['peak']:.0f} MiB |")
    ours = next((r for r in results if r["side"] == "BertKit --mode lora"), None)
    theirs = next((r for r in results if r["side"].startswith("PEFT")), None)
    if ours and theirs:
        print(f"\nLoRA accuracy difference (BertKit - PEFT): {100 * (ours['accuracy'] - theirs['accuracy']):+.2f} points")


if __name__ == "__main__":
    main()
