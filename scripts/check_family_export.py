#!/usr/bin/env python3
"""Checks that classifiers and taggers BertKit trains on every encoder family load in transformers'
AutoModelForSequenceClassification / AutoModelForTokenClassification with the same logits (run by
hand, never in CI).

Uses the tiny random checkpoints of Tests/ModelsTests/Fixtures (ALBERT, DistilBERT, RoBERTa,
XLM-RoBERTa, ELECTRA) with a 99-token WordPiece vocabulary, trains each for one epoch on
examples/sentiment with --pooling pooler (the family's own classification head), predicts with
`bertkit predict --logits`, and compares with transformers on the token ids `bertkit tokenize` gives
(the tokenizer has its own parity tests; this checks the exported model). Then the same for a tagger
(--task tag) trained on a small CoNLL-2003-style file written here, whose words are each one token,
comparing every word's logits with the token classifier's at that word's token.

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
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

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
            failures += not check_classifier(args.bertkit, work, family, model_dir, sentences)
            failures += not check_tagger(args.bertkit, work, family, model_dir)
    sys.exit(1 if failures else 0)


def run(bertkit, *arguments, stdin=None):
    return subprocess.run([bertkit, *arguments], input=stdin, check=True, capture_output=True, text=True).stdout


def report(family, model, theirs, diff):
    # A tiny random encoder trained at lr 1e-3 can give large logits: judge relative to their size.
    scale = max(1.0, theirs.abs().max().item())
    ok = diff <= 1e-4 * scale
    print(f"{family:12} {type(model).__name__:40} max |logit| {scale:8.2f}  max abs diff {diff:.2e}  {'PASS' if ok else 'FAIL'}")
    return ok


def check_classifier(bertkit, work, family, model_dir, sentences):
    out = work / (family + "-out")
    run(bertkit, "train", "--model", str(model_dir), "--task", "classify", "--pooling", "pooler",
        "--train", str(ROOT / "examples/sentiment/train.tsv"), "--epochs", "1", "--lr", "1e-3", "--output", str(out))
    text = "\n".join(sentences) + "\n"
    ours = torch.tensor([json.loads(line)["logits"] for line in run(bertkit, "predict", "--model", str(out), "--logits", stdin=text).splitlines()])
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    rows = []
    with torch.no_grad():
        for line in run(bertkit, "tokenize", "--model", str(out), stdin=text).splitlines():
            ids = torch.tensor([json.loads(line)["ids"]])
            rows.append(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0])
    theirs = torch.stack(rows)
    return report(family, model, theirs, (ours - theirs).abs().max().item())


def tag_of(word):
    """A made-up tag set the tiny tagger can learn from the words alone."""
    return "POS" if word in WORDS[:5] else "NEG" if word in WORDS[5:10] else "O"


def check_tagger(bertkit, work, family, model_dir):
    # Sentences of vocabulary words only, so that each word is exactly one token.
    sentences = [" ".join(WORDS[(7 * i + 3 * j) % len(WORDS)] for j in range(3 + i % 6)) for i in range(50)]
    train = work / (family + "-tags.txt")
    train.write_text("".join("".join(f"{w} {tag_of(w)}\n" for w in s.split()) + "\n" for s in sentences))
    out = work / (family + "-tagger")
    run(bertkit, "train", "--model", str(model_dir), "--task", "tag", "--train", str(train),
        "--epochs", "1", "--lr", "1e-3", "--output", str(out))
    text = "\n".join(sentences) + "\n"
    predictions = [json.loads(line) for line in run(bertkit, "predict", "--model", str(out), "--logits", stdin=text).splitlines()]
    model = AutoModelForTokenClassification.from_pretrained(out).eval()
    ours, theirs = [], []
    with torch.no_grad():
        for line, p in zip(run(bertkit, "tokenize", "--model", str(out), stdin=text).splitlines(), predictions):
            ids = json.loads(line)["ids"]
            words = p["words"]
            # Every word is one token here: [CLS] w1 … wn [SEP].
            assert len(ids) == len(words) + 2, f"{family}: {len(ids)} tokens for {len(words)} words"
            logits = model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).logits[0]
            theirs.append(logits[1:-1])
            ours.append(torch.tensor(p["logits"]))
    theirs, ours = torch.cat(theirs), torch.cat(ours)
    return report(family, model, theirs, (ours - theirs).abs().max().item())


if __name__ == "__main__":
    main()
