#!/usr/bin/env python3
"""Checks that LoRA adapters `bertkit train --mode lora` saves give BertKit's logits in Python (PEFT, transformers).

Run by hand (never in CI), after `swift build -c release --product bertkit`, with torch, transformers, peft and
safetensors installed (`pip install peft`):

    python3 scripts/check_lora_export.py [--bertkit .build/release/bertkit] [--work DIR] [--train-rows N]

It trains LoRA adapters (r=8, alpha 16, query+value, pooler head, 1 epoch) on the demo model
(sentence-transformers/all-MiniLM-L6-v2, from the local Hugging Face cache) with `--merge`, then compares
on the first 50 SST-2 dev sentences (examples/sentiment without ../shared/data):

  case      BertKit                                               Python
  adapter   bertkit predict --model BASE --adapter OUT --logits   peft.PeftModel.from_pretrained(AutoModelForSequenceClassification(BASE), OUT)
  merged    bertkit predict --model OUT/merged --logits           transformers AutoModelForSequenceClassification(OUT/merged)
  merge     bertkit merge --model BASE --adapter OUT (a folder)   transformers AutoModelForSequenceClassification of that folder

and passes when every max |logit difference| is at most 1e-5 and the predicted labels agree. Prints a table;
exits 1 on a failure.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import peft
import torch
import transformers
from peft import PeftModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))
sys.path.insert(0, str(ROOT / "scripts"))
from bert_fixtures import hub_model  # noqa: E402  the Hugging Face cache lookup the fixtures use
from check_export import read_table, report  # noqa: E402  its SST-2 reader and result table
DATA = ROOT.parent / "shared" / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TOLERANCE = 1e-5
INPUTS = 50


def data(work, train_rows):
    """(train file, 50 held-out sentences, description)."""
    sst2 = DATA / "sst2"
    if (sst2 / "train.tsv").exists() and (sst2 / "dev.tsv").exists():
        header, rows = read_table(sst2 / "train.tsv")
        train = work / f"sst2-train-{train_rows}.tsv"
        with open(train, "w", encoding="utf-8") as f:
            f.write("\t".join(header) + "\n")
            for row in rows[:train_rows]:
                f.write("\t".join(row) + "\n")
        _, dev = read_table(sst2 / "dev.tsv")
        return train, [row[1] for row in dev[:INPUTS]], f"SST-2 train rows 1-{train_rows}, SST-2 dev 1-{INPUTS}"
    _, dev = read_table(ROOT / "examples" / "sentiment" / "dev.tsv")
    return (ROOT / "examples" / "sentiment" / "train.tsv", [row[-1] for row in dev[:INPUTS]],
            "examples/sentiment (no ../shared/data)")


def run(command, log, stdin=None):
    with open(log, "w") as err:
        done = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.stderr.write(f"failed ({done.returncode}): {' '.join(map(str, command))}\n{Path(log).read_text()[-3000:]}")
        sys.exit(2)
    return done.stdout


def bertkit_logits(bertkit, args, lines, log):
    out = run([bertkit, "predict", *args, "--logits"], log, stdin="".join(line + "\n" for line in lines))
    predictions = [json.loads(line) for line in out.splitlines()]
    assert len(predictions) == len(lines), f"bertkit predict wrote {len(predictions)} lines for {len(lines)} inputs"
    return torch.tensor([p["logits"] for p in predictions])


def python_logits(model, tokenizer, sentences, max_length):
    batch = tokenizer(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).logits


def load_plain(folder):
    model, info = AutoModelForSequenceClassification.from_pretrained(folder, output_loading_info=True)
    problems = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if problems:
        raise SystemExit(f"transformers did not load {folder} as saved: {problems}")
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bertkit", default=".build/release/bertkit", help="the bertkit binary (relative to the package root)")
    parser.add_argument("--work", help="folder for data, adapters and logs (default: a temporary folder, removed)")
    parser.add_argument("--train-rows", type=int, default=2000, help="SST-2 training rows (default 2000)")
    args = parser.parse_args()
    bertkit = Path(args.bertkit)
    if not bertkit.is_absolute():
        bertkit = ROOT / bertkit
    if not bertkit.exists():
        raise SystemExit(f"no bertkit binary at {bertkit}: run `swift build -c release --product bertkit`")
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(os.cpu_count() or 1)
    base = hub_model(MODEL)

    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="bertkit-lora-export-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        train, sentences, description = data(work, args.train_rows)
        out = work / "lora"
        run([bertkit, "train", "--model", MODEL, "--task", "classify", "--mode", "lora", "--pooling", "pooler",
             "--train", train, "--epochs", "1", "--seed", "0", "--merge", "--overwrite", "--output", out], work / "train.log")
        run([bertkit, "merge", "--model", MODEL, "--adapter", out, "--output", work / "merged-cli", "--overwrite"], work / "merge.log")
        settings = json.loads((out / "bertkit.json").read_text())
        max_length = settings["max_length"]
        tokenizer = AutoTokenizer.from_pretrained(out)
        adapter_config = json.loads((out / "adapter_config.json").read_text())

        ours_adapter = bertkit_logits(bertkit, ["--model", MODEL, "--adapter", out], sentences, work / "predict-adapter.log")
        ours_merged = bertkit_logits(bertkit, ["--model", out / "merged"], sentences, work / "predict-merged.log")
        ours_merge_cli = bertkit_logits(bertkit, ["--model", work / "merged-cli"], sentences, work / "predict-merge-cli.log")

        peft_base = AutoModelForSequenceClassification.from_pretrained(base, num_labels=len(settings["head"]["labels"]))
        peft_model = PeftModel.from_pretrained(peft_base, out).eval()
        theirs_adapter = python_logits(peft_model, tokenizer, sentences, max_length)
        theirs_merged = python_logits(load_plain(out / "merged"), tokenizer, sentences, max_length)
        theirs_merge_cli = python_logits(load_plain(work / "merged-cli"), tokenizer, sentences, max_length)

        for case, ours, theirs, loader in [
            ("adapter", ours_adapter, theirs_adapter, f"peft {peft.__version__} PeftModel.from_pretrained"),
            ("merged", ours_merged, theirs_merged, "AutoModelForSequenceClassification (train --merge)"),
            ("merge", ours_merge_cli, theirs_merge_cli, "AutoModelForSequenceClassification (bertkit merge)"),
        ]:
            diff = (ours - theirs).abs().max().item()
            agree = int((ours.argmax(-1) == theirs.argmax(-1)).sum())
            unmerged_vs_merged = (ours - ours_adapter).abs().max().item()
            passed = diff <= TOLERANCE and agree == len(sentences)
            rows.append(dict(case=case, loader=loader, diff=f"{diff:.2e}", bertkit=f"{unmerged_vs_merged:.2e}",
                             labels=f"{agree}/{len(sentences)}", result="PASS" if passed else "FAIL"))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    columns = [("case", "case"), ("loaded in Python with", "loader"), ("max abs diff", "diff"),
               ("BertKit: vs unmerged", "bertkit"), ("labels agree", "labels"), ("result", "result")]
    report(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}; "
           f"{description}; r={adapter_config['r']}, alpha {adapter_config['lora_alpha']}, targets "
           f"{','.join(adapter_config['target_modules'])}; tolerance {TOLERANCE:g}", columns, rows)

if __name__ == "__main__":
    main()
