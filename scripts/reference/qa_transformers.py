#!/usr/bin/env python3
"""transformers' side of BertKit's question-answering figures (docs/accuracy.md): fine-tune a model
for SQuAD with the recipe `bertkit train --task qa` uses, and score it with the official v1.1 rules.

    python3 scripts/reference/qa_transformers.py --train DATA/squad/train.json --dev DATA/squad/dev.json \
        --epochs 2 --lr 5e-5 --batch-size 16 --max-length 384 --doc-stride 128 --json out.json

Windows and answers are transformers' `run_qa` (prepare_train_features, prepare_validation_features,
postprocess_qa_predictions with n-best 20 and answers of at most 30 tokens). The optimizer is BertKit's
default recipe, so both sides train alike: AdamW (weight decay 0.01, none on biases and LayerNorm),
10% linear warmup then linear decay, gradient clipping at 1, dropout on; batches padded to their
longest window (run_qa with --pad_to_max_length False). `--train-questions N` keeps the first N
questions of the training file (file order), for a documented subset. Prints one JSON line.
Needs torch and transformers; runs offline from the local Hugging Face cache.
"""
import argparse
import collections
import json
import os
import random
import re
import string
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, get_linear_schedule_with_warmup


def read_squad(path, limit=None):
    """The questions of a SQuAD v1.1 JSON file, in file order: dicts of id, question, context, answers."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)["data"]
    out = []
    for article in data:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                out.append({"id": qa["id"], "question": qa["question"], "context": paragraph["context"],
                            "answers": {"text": [a["text"] for a in qa["answers"]],
                                        "answer_start": [a["answer_start"] for a in qa["answers"]]}})
    return out[:limit] if limit else out


def tokenize_windows(examples, tokenizer, max_length, doc_stride):
    """run_qa's tokenization: (question, context) pairs cut into windows of the context, with offsets."""
    questions = [e["question"].lstrip() for e in examples]
    return tokenizer(questions, [e["context"] for e in examples], truncation="only_second", max_length=max_length,
                     stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True)


def prepare_train_features(examples, tokenizer, max_length, doc_stride):
    """run_qa's prepare_train_features (no padding: batches pad to their longest)."""
    enc = tokenize_windows(examples, tokenizer, max_length, doc_stride)
    sample_mapping = enc.pop("overflow_to_sample_mapping")
    features = []
    for i, offsets in enumerate(enc["offset_mapping"]):
        input_ids = enc["input_ids"][i]
        cls_index = input_ids.index(tokenizer.cls_token_id)
        sequence_ids = enc.sequence_ids(i)
        answers = examples[sample_mapping[i]]["answers"]
        start_char = answers["answer_start"][0]
        end_char = start_char + len(answers["text"][0])
        token_start_index = 0
        while sequence_ids[token_start_index] != 1:
            token_start_index += 1
        token_end_index = len(input_ids) - 1
        while sequence_ids[token_end_index] != 1:
            token_end_index -= 1
        if not (offsets[token_start_index][0] <= start_char and offsets[token_end_index][1] >= end_char):
            start, end = cls_index, cls_index
        else:
            while token_start_index < len(offsets) and offsets[token_start_index][0] <= start_char:
                token_start_index += 1
            start = token_start_index - 1
            while offsets[token_end_index][1] >= end_char:
                token_end_index -= 1
            end = token_end_index + 1
        feature = {k: enc[k][i] for k in enc.keys() if k != "offset_mapping"}
        feature["start_positions"], feature["end_positions"] = start, end
        features.append(feature)
    return features


def prepare_validation_features(examples, tokenizer, max_length, doc_stride):
    """run_qa's prepare_validation_features: offsets kept for context tokens only."""
    enc = tokenize_windows(examples, tokenizer, max_length, doc_stride)
    sample_mapping = enc.pop("overflow_to_sample_mapping")
    features = []
    for i in range(len(enc["input_ids"])):
        sequence_ids = enc.sequence_ids(i)
        feature = {k: enc[k][i] for k in enc.keys() if k != "offset_mapping"}
        feature["example_index"] = sample_mapping[i]
        feature["offset_mapping"] = [o if sequence_ids[k] == 1 else None for k, o in enumerate(enc["offset_mapping"][i])]
        features.append(feature)
    return features


def postprocess(examples, features, all_start, all_end, n_best=20, max_answer_length=30):
    """run_qa's postprocess_qa_predictions (SQuAD v1.1): per example the best span's text, character offsets
    and probability (a softmax over the n-best spans' start + end logits)."""
    by_example = collections.defaultdict(list)
    for i, f in enumerate(features):
        by_example[f["example_index"]].append(i)
    predictions = []
    for e, example in enumerate(examples):
        prelim = []
        for fi in by_example[e]:
            start_logits, end_logits = all_start[fi], all_end[fi]
            offsets = features[fi]["offset_mapping"]
            start_indexes = np.argsort(start_logits)[-1: -n_best - 1: -1].tolist()
            end_indexes = np.argsort(end_logits)[-1: -n_best - 1: -1].tolist()
            for s in start_indexes:
                for t in end_indexes:
                    if s >= len(offsets) or t >= len(offsets) or offsets[s] is None or offsets[t] is None:
                        continue
                    if t < s or t - s + 1 > max_answer_length:
                        continue
                    prelim.append((start_logits[s] + end_logits[t], offsets[s][0], offsets[t][1]))
        prelim.sort(key=lambda p: p[0], reverse=True)
        best = prelim[:n_best]
        if not best:
            predictions.append({"text": "", "start": 0, "end": 0, "score": 0.0})
            continue
        scores = np.array([b[0] for b in best], dtype=np.float64)
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        predictions.append({"text": example["context"][best[0][1]:best[0][2]], "start": int(best[0][1]), "end": int(best[0][2]),
                            "score": float(probs[0])})
    return predictions


# The official evaluate-v1.1.py.
def normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def f1_score(prediction, ground_truth):
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = collections.Counter(prediction_tokens) & collections.Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def squad_metrics(examples, predictions):
    em = f1 = 0.0
    for example, p in zip(examples, predictions):
        golds = example["answers"]["text"]
        em += max(exact_match_score(p, g) for g in golds)
        f1 += max(f1_score(p, g) for g in golds)
    return {"exact_match": 100.0 * em / len(examples), "f1": 100.0 * f1 / len(examples)}


def pad(batch, pad_id):
    length = max(len(f["input_ids"]) for f in batch)
    out = {}
    for key, value in (("input_ids", pad_id), ("token_type_ids", 0), ("attention_mask", 0)):
        if key in batch[0]:
            out[key] = torch.tensor([f[key] + [value] * (length - len(f[key])) for f in batch])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    p.add_argument("--train", required=True)
    p.add_argument("--dev", required=True)
    p.add_argument("--train-questions", type=int, help="keep the first N training questions (file order)")
    p.add_argument("--dev-questions", type=int, help="keep the first N dev questions (file order)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--max-length", type=int, default=384)
    p.add_argument("--doc-stride", type=int, default=128)
    p.add_argument("--warmup", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--json", help="also write the result to this file")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForQuestionAnswering.from_pretrained(args.model)
    train_examples = read_squad(args.train, args.train_questions)
    dev_examples = read_squad(args.dev, args.dev_questions)
    train = prepare_train_features(train_examples, tokenizer, args.max_length, args.doc_stride)
    dev = prepare_validation_features(dev_examples, tokenizer, args.max_length, args.doc_stride)
    print(f"train: {len(train_examples)} questions, {len(train)} windows; dev: {len(dev_examples)} questions, {len(dev)} windows",
          file=sys.stderr, flush=True)

    no_decay = ("bias", "LayerNorm.weight")
    groups = [{"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)], "weight_decay": args.weight_decay},
              {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=args.lr)
    steps_per_epoch = (len(train) + args.batch_size - 1) // args.batch_size
    total = steps_per_epoch * args.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(np.ceil(total * args.warmup)), total)
    rng = random.Random(args.seed)
    model.train()
    start = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        order = list(range(len(train)))
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            batch = [train[i] for i in order[b * args.batch_size:(b + 1) * args.batch_size]]
            inputs = pad(batch, tokenizer.pad_token_id)
            out = model(**inputs, start_positions=torch.tensor([f["start_positions"] for f in batch]),
                        end_positions=torch.tensor([f["end_positions"] for f in batch]))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 20 == 0 or step == total:
                elapsed = time.perf_counter() - start
                print(f"step {step}/{total} epoch {epoch + 1} loss {out.loss.item():.4f} {step * args.batch_size / elapsed:.1f} windows/s",
                      file=sys.stderr, flush=True)
    train_seconds = time.perf_counter() - start

    model.eval()
    all_start, all_end = [None] * len(dev), [None] * len(dev)
    with torch.no_grad():
        for b in range(0, len(dev), 64):
            batch = dev[b:b + 64]
            out = model(**pad(batch, tokenizer.pad_token_id))
            for k, f in enumerate(batch):
                n = len(f["input_ids"])
                all_start[b + k] = out.start_logits[k, :n].numpy()
                all_end[b + k] = out.end_logits[k, :n].numpy()
    predictions = [p["text"] for p in postprocess(dev_examples, dev, all_start, all_end)]
    result = squad_metrics(dev_examples, predictions)
    result.update(train_questions=len(train_examples), train_windows=len(train), dev_questions=len(dev_examples),
                  epochs=args.epochs, train_seconds=round(train_seconds, 1),
                  windows_per_second=round(len(train) * args.epochs / train_seconds, 2), torch=torch.__version__,
                  threads=args.threads)
    line = json.dumps(result)
    print(line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
