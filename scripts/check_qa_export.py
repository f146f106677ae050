#!/usr/bin/env python3
"""Checks that a question-answering folder `bertkit train --task qa` saves gives, in transformers'
AutoModelForQuestionAnswering, the answers `bertkit predict` gives: the same text and character offsets,
and the same score (a softmax of start + end logits over the n-best spans) within 1e-5.

Run by hand (never in CI), with torch and transformers installed:

    python3 scripts/check_qa_export.py --model OUT/qa --data DATA/squad/dev.json [--questions 50] [--bertkit .build/release/bertkit]

Windows (max length and doc stride from the folder's bertkit.json) and answers are transformers' run_qa
(scripts/reference/qa_transformers.py). Prints one line per disagreement and a summary; exits 1 on any.
"""
import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))

import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from qa_transformers import postprocess, prepare_validation_features, read_squad


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="a folder written by bertkit train --task qa")
    p.add_argument("--data", required=True, help="a SQuAD JSON file")
    p.add_argument("--questions", type=int, default=50)
    p.add_argument("--bertkit", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "bertkit"))
    args = p.parse_args()
    with open(os.path.join(args.model, "bertkit.json")) as f:
        settings = json.load(f)
    max_length, stride = settings["max_length"], settings["head"].get("docStride", 128)
    examples = read_squad(args.data, args.questions)
    lines = "".join(json.dumps({"question": e["question"], "context": e["context"]}) + "\n" for e in examples)
    out = subprocess.run([args.bertkit, "predict", "--model", args.model], input=lines, capture_output=True, text=True, check=True)
    ours = [json.loads(line) for line in out.stdout.splitlines()]

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForQuestionAnswering.from_pretrained(args.model).eval()
    features = prepare_validation_features(examples, tokenizer, max_length, stride)
    starts, ends = [], []
    with torch.no_grad():
        for f in features:
            o = model(input_ids=torch.tensor([f["input_ids"]]), token_type_ids=torch.tensor([f["token_type_ids"]]))
            starts.append(o.start_logits[0].numpy())
            ends.append(o.end_logits[0].numpy())
    theirs = postprocess(examples, features, starts, ends)
    bad, worst = 0, 0.0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        diff = abs(a["score"] - b["score"])
        worst = max(worst, diff)
        if (a["answer"], a["start"], a["end"]) != (b["text"], b["start"], b["end"]) or diff > 1e-5:
            bad += 1
            print(f"question {i}: bertkit {a} / transformers {b}")
    print(f"{len(examples)} questions ({len(features)} windows): {len(examples) - bad} agree; max |score difference| {worst:.2e}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
