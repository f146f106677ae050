#!/usr/bin/env python3
"""Checks that classifiers BertKit trains on every encoder family load in transformers'
AutoModelForSequenceClassification with the same logits (run by hand, never in CI).

Uses the tiny random checkpoints of Tests/ModelsTests/Fixtures (ALBERT, DistilBERT, RoBERTa,
XLM-RoBERTa, ELECTRA) with a 99-token WordPiece vocabulary, trains each for one epoch on
examples/sentiment with --pooling pooler (the family's own classification head), predicts with
`bertkit predict --logits`, and compares with transformers on the token ids `bertkit tokenize` gives
(the tokenizer has its own parity tests; this checks the exported model).

    python3 scripts/check_family_export.py [--bertkit .build/release/bertkit]
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ["albert", "distilbert", "roberta", "xlm-roberta", "electra"]
WORDS = ["good", "great", "fine", "love", "nice", "bad", "awful", "poor", "hate", "dull",
         "the", "film", "food", "was", "is", "a", "very", "not", "really", "service"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bertkit", default=str(ROOT / ".build/release/bertkit"))
    args = parser.parse_args()
    sentences = [line.split("\t")[0] for line in (ROOT / "examples/sentiment/dev.tsv").read_text().splitlines()[1:51]]
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS
        vocab += [f"w{i}" for i in range(99 - len(vocab))]
        for family in FAMILIES:
            src = ROOT / "Tests/ModelsTests/Fixtures" / family
            model_dir = work / family
            model_dir.mkdir()
            for f in src.iterdir():
                if f.suffix in (".json", ".safetensors") and f.name not in ("expected.safetensors", "tokenizer.json"):
                    shutil.copy(f, model_dir / f.name)
            (model_dir / "vocab.txt").write_text("\n".join(vocab) + "\n")
            out = work / (family + "-out")
            subprocess.run([args.bertkit, "train", "--model", str(model_dir), "--task", "classify", "--pooling", "pooler",
                            "--train", str(ROOT / "examples/sentiment/train.tsv"), "--epochs", "1", "--lr", "1e-3",
                            "--output", str(out)], check=True, capture_output=True)
            predicted = subprocess.run([args.bertkit, "predict", "--model", str(out), "--logits"], input="\n".join(sentences) + "\n",
                                       check=True, capture_output=True, text=True).stdout.splitlines()
            ours = torch.tensor([json.loads(line)["logits"] for line in predicted])
            tokenized = subprocess.run([args.bertkit, "tokenize", "--model", str(out)], input="\n".join(sentences) + "\n",
                                       check=True, capture_output=True, text=True).stdout.splitlines()
            model = AutoModelForSequenceClassification.from_pretrained(out).eval()
            rows = []
            with torch.no_grad():
                for line in tokenized:
                    ids = torch.tensor([json.loads(line)["ids"]])
                    rows.append(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0])
            theirs = torch.stack(rows)
            diff = (ours - theirs).abs().max().item()
            # A tiny random encoder trained at lr 1e-3 can give large logits: judge relative to their size.
            scale = max(1.0, theirs.abs().max().item())
            ok = diff <= 1e-4 * scale
            failures += not ok
            print(f"{family:12} {type(model).__name__:40} max |logit| {scale:8.2f}  max abs diff {diff:.2e}  {'PASS' if ok else 'FAIL'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
