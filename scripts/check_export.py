#!/usr/bin/env python3
"""Checks that models `bertkit train` saves give the same logits in Python (transformers).

Run by hand (never in CI), after `swift build -c release --product bertkit`, with torch, transformers and
safetensors installed:

    python3 scripts/check_export.py [--bertkit .build/release/bertkit] [--work DIR] [--only CASE ...]

For each case it trains a small model on the demo model (sentence-transformers/all-MiniLM-L6-v2, from the
local Hugging Face cache), runs `bertkit predict --logits` on 50 held-out inputs, loads the saved folder in
Python, computes the logits of the same inputs and compares them (max |difference| <= 1e-4) and the
predicted labels (through config.json's id2label; for tagging, a word that neither side gives a token, as when
truncated, counts as agreeing):

  case        head                                                         loaded with
  pooler      --pooling pooler, layers:3                                   AutoModelForSequenceClassification
  tagger      --task tag, layers:3                                         AutoModelForTokenClassification
  regress     --task regress, --pooling pooler, layers:2                   AutoModelForSequenceClassification
  multilabel  --task multilabel, --pooling pooler, layers:2                AutoModelForSequenceClassification
  mean        --pooling mean, layers:3, max length 24                      the recipe of docs/export.md
  max-hidden  max pooling, hidden 64 gelu, concat-last-4, frozen           the recipe
  cls-hidden  cls pooling, hidden 32 relu, second-to-last, frozen          the recipe
  tag-hidden  --task tag, hidden 32 leaky_relu, sum-last-4, frozen         the recipe
  tag-layer   --task tag, hidden 16 tanh, layer:2, frozen, max length 24   the recipe

The recipe is BertKitModel below, the same code as in docs/export.md. The mean and
tag-layer cases train with --max-length 24, so that truncation to the saved max_length is checked too (most
SST-2 dev sentences and many EWT sentences are longer: the table's last column counts them).

Data: a 2,000-row slice of SST-2 train and the first 50 SST-2 dev sentences, and 500 UD English EWT train
sentences and 50 dev sentences, from ../shared/data beside the package root. Without SST-2 the sequence
cases use examples/sentiment; without EWT the tagging cases are skipped. The regress and multilabel cases
relabel examples/sentiment (regression: positive 1.0, negative -1.0; multi-label: the sentiment, plus "long"
for texts over 50 characters).

Prints a summary table and exits 1 when a case fails.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from safetensors.torch import load_file
from transformers import AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TOLERANCE = 1e-4
INPUTS = 50


# --- The recipe of docs/export.md: keep the two copies the same. ---------------------------------------------

class BertKitModel(torch.nn.Module):
    """A model folder saved by `bertkit train`, rebuilt from its bertkit.json: any pooling, hidden layer and
    feature choice. forward() takes a tokenizer's batch and returns the logits: [batch, outputs], or
    [batch, tokens, outputs] for tagging."""

    def __init__(self, folder):
        super().__init__()
        folder = Path(folder)
        settings = json.loads((folder / "bertkit.json").read_text())
        self.head = settings["head"]
        self.max_length = settings["max_length"]
        self.labels = self.head["labels"]
        uses_pooler = self.head["task"] != "tagging" and self.head["pooling"] == "pooler"
        # The encoder's weights are under "bert." in model.safetensors; AutoModel strips the prefix.
        self.bert = AutoModel.from_pretrained(folder, add_pooling_layer=uses_pooler)
        weights = load_file(folder / "model.safetensors")
        self.pre_classifier = self._linear(weights, "pre_classifier") if "pre_classifier.weight" in weights else None
        self.classifier = self._linear(weights, "classifier")
        self.eval()

    @staticmethod
    def _linear(weights, name):
        weight, bias = weights[name + ".weight"], weights[name + ".bias"]
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
        layer.load_state_dict({"weight": weight, "bias": bias})
        return layer

    def features(self, hidden_states):
        """hidden_states[0] is the embeddings' output, hidden_states[k] layer k's."""
        layers = len(hidden_states) - 1
        choice = self.head["features"]
        if choice == "last":
            return hidden_states[layers]
        if choice == "second-to-last":
            return hidden_states[layers - 1]
        if choice == "sum-last-4":
            return sum(hidden_states[layers - 3:])
        if choice == "concat-last-4":
            return torch.cat(hidden_states[layers - 3:], dim=-1)
        return hidden_states[int(choice.removeprefix("layer:"))]  # layer:K

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                        output_hidden_states=True)
        x = self.features(out.hidden_states)
        if self.head["task"] != "tagging":
            mask = attention_mask.unsqueeze(-1).to(x.dtype)  # [batch, tokens, 1]
            pooling = self.head["pooling"]
            if pooling == "pooler":
                x = out.pooler_output
            elif pooling == "cls":
                x = x[:, 0]
            elif pooling == "mean":
                x = (x * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            elif pooling == "max":
                x = x.masked_fill(mask == 0, float("-inf")).amax(1)
        # Dropout is the identity in eval mode.
        if self.pre_classifier is not None:
            x = self.pre_classifier(x)
            activation = self.head["hiddenActivation"]
            if activation == "relu":
                x = F.relu(x)
            elif activation == "gelu":
                x = F.gelu(x)  # the exact (erf) form
            elif activation == "tanh":
                x = torch.tanh(x)
            elif activation == "leaky_relu":
                x = F.leaky_relu(x, self.head["leakySlope"])
        return self.classifier(x)

# --- end of the recipe ------------------------------------------------------------------------------------------


class Case:
    def __init__(self, name, task, train_args, loader, description, data=None):
        self.name, self.task, self.train_args, self.loader, self.description = name, task, train_args, loader, description
        self.data = data or ("ewt" if task == "tag" else "sst2")


CASES = [
    Case("pooler", "classify", ["--pooling", "pooler", "--mode", "layers:3"], "AutoModelForSequenceClassification",
         "pooler, layers:3"),
    Case("tagger", "tag", ["--mode", "layers:3"], "AutoModelForTokenClassification", "tagging, layers:3"),
    Case("regress", "regress", ["--pooling", "pooler", "--mode", "layers:2"], "AutoModelForSequenceClassification",
         "regression, pooler, layers:2", data="regress"),
    Case("multilabel", "multilabel", ["--pooling", "pooler", "--mode", "layers:2"], "AutoModelForSequenceClassification",
         "multi-label, pooler, layers:2", data="multilabel"),
    Case("mean", "classify", ["--pooling", "mean", "--mode", "layers:3", "--max-length", "24"], "recipe",
         "mean, layers:3, max length 24"),
    Case("max-hidden", "classify",
         ["--pooling", "max", "--hidden", "64", "--activation", "gelu", "--features", "concat-last-4", "--mode", "frozen"],
         "recipe", "max, hidden 64 gelu, concat-last-4, frozen"),
    Case("cls-hidden", "classify",
         ["--pooling", "cls", "--hidden", "32", "--activation", "relu", "--features", "second-to-last", "--mode", "frozen"],
         "recipe", "cls, hidden 32 relu, second-to-last, frozen"),
    Case("tag-hidden", "tag",
         ["--hidden", "32", "--activation", "leaky_relu", "--features", "sum-last-4", "--mode", "frozen"],
         "recipe", "tagging, hidden 32 leaky_relu, sum-last-4, frozen"),
    Case("tag-layer", "tag",
         ["--hidden", "16", "--activation", "tanh", "--features", "layer:2", "--mode", "frozen", "--max-length", "24"],
         "recipe", "tagging, hidden 16 tanh, layer:2, frozen, max length 24"),
]


# --- Data --------------------------------------------------------------------------------------------------------

def read_table(path):
    """Header and rows of a tab-separated file (no quoting, as SST-2 is written)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[0], rows[1:]


def sequence_data(work):
    """(train file, 50 dev sentences, description)."""
    sst2 = DATA / "sst2"
    if (sst2 / "train.tsv").exists() and (sst2 / "dev.tsv").exists():
        header, rows = read_table(sst2 / "train.tsv")
        train = work / "sst2-train-2000.tsv"
        with open(train, "w", encoding="utf-8") as f:
            f.write("\t".join(header) + "\n")
            for row in rows[:2000]:
                f.write("\t".join(row) + "\n")
        dev_path, source = sst2 / "dev.tsv", "SST-2 (2,000 train rows, 50 dev sentences)"
    else:
        train = ROOT / "examples" / "sentiment" / "train.tsv"
        dev_path, source = ROOT / "examples" / "sentiment" / "dev.tsv", "examples/sentiment (324 train, 50 dev)"
    header, rows = read_table(dev_path)
    column = next(i for i, name in enumerate(header) if name in ("sentence", "content", "text"))
    return train, [row[column] for row in rows[:INPUTS]], source


def sentiment_variant(work, task):
    """examples/sentiment relabelled for regression (positive 1.0, negative -1.0) or multi-label (the sentiment,
    and "long" for texts over 50 characters): (train file, 50 dev sentences, description)."""
    def label(text, sentiment):
        if task == "regress":
            return "1.0" if sentiment == "positive" else "-1.0"
        return sentiment + ("|long" if len(text) > 50 else "")
    header, rows = read_table(ROOT / "examples" / "sentiment" / "train.tsv")
    text, sentiment = header.index("text"), header.index("label")
    train = work / f"sentiment-{task}.tsv"
    with open(train, "w", encoding="utf-8") as f:
        f.write("text\tlabel\n")
        for row in rows:
            f.write(f"{row[text]}\t{label(row[text], row[sentiment])}\n")
    header, rows = read_table(ROOT / "examples" / "sentiment" / "dev.tsv")
    return train, [row[header.index("text")] for row in rows[:INPUTS]], f"examples/sentiment as {task} (324 train, 50 dev)"


def conllu_sentences(path):
    """Each sentence's lines (comments included), as blocks of the file."""
    blocks, block = [], []
    for line in open(path, encoding="utf-8"):
        if line.strip():
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    return blocks


def tagging_data(work):
    """(train file, 50 dev sentences as space-joined words, description), or None without EWT."""
    ewt = DATA / "ud-ewt"
    if not (ewt / "en_ewt-ud-train.conllu").exists() or not (ewt / "en_ewt-ud-dev.conllu").exists():
        return None
    train = work / "ewt-train-500.conllu"
    with open(train, "w", encoding="utf-8") as f:
        for block in conllu_sentences(ewt / "en_ewt-ud-train.conllu")[:500]:
            f.write("".join(block) + "\n")
    lines = []
    for block in conllu_sentences(ewt / "en_ewt-ud-dev.conllu")[:INPUTS]:
        fields = [line.rstrip("\n").split("\t") for line in block if not line.startswith("#")]
        lines.append(" ".join(f[1] for f in fields if f[0].isdigit()))  # no multiword ranges, no empty nodes
    return train, lines, "UD EWT (500 train sentences, 50 dev sentences, UPOS)"


# --- BertKit -------------------------------------------------------------------------------------------------------

def run(command, log, stdin=None):
    """Runs a command, its stderr to `log`; returns stdout. Exits with the log's tail on failure."""
    with open(log, "w") as err:
        done = subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.stderr.write(f"failed ({done.returncode}): {' '.join(map(str, command))}\n{Path(log).read_text()[-3000:]}")
        sys.exit(2)
    return done.stdout


def bertkit_predictions(bertkit, folder, lines, log):
    out = run([bertkit, "predict", "--model", folder, "--logits"], log, stdin="".join(line + "\n" for line in lines))
    predictions = [json.loads(line) for line in out.splitlines()]
    assert len(predictions) == len(lines), f"bertkit predict wrote {len(predictions)} lines for {len(lines)} inputs"
    return predictions


# --- Python logits -------------------------------------------------------------------------------------------------

def load_transformers(loader_class, folder):
    model, info = loader_class.from_pretrained(folder, output_loading_info=True)
    missing = info.get("missing_keys") or []
    unexpected = info.get("unexpected_keys") or []
    mismatched = info.get("mismatched_keys") or []
    if missing or unexpected or mismatched:
        raise SystemExit(f"{loader_class.__name__} did not load every weight as saved: missing {sorted(missing)}, "
                         f"unexpected {sorted(unexpected)}, mismatched {list(mismatched)}")
    return model.eval()


def sequence_logits(model, tokenizer, sentences, max_length):
    batch = tokenizer(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch)
    return out.logits if hasattr(out, "logits") else out


def word_logits(model, tokenizer, lines, max_length):
    """Per sentence, per word: the logits at the word's first sub-word, or None when it has no token."""
    words = [line.split() for line in lines]
    batch = tokenizer(words, is_split_into_words=True, padding=True, truncation=True, max_length=max_length,
                      return_tensors="pt")
    with torch.no_grad():
        out = model(**batch)
    logits = out.logits if hasattr(out, "logits") else out
    result = []
    for i, sentence in enumerate(words):
        first = {}
        for t, w in enumerate(batch.word_ids(i)):
            if w is not None and w not in first:
                first[w] = t
        result.append([logits[i, first[w]] if w in first else None for w in range(len(sentence))])
    return words, result


def compare_sequences(predictions, logits, id2label, task):
    diff, agree = 0.0, 0
    for p, row in zip(predictions, logits):
        expected = torch.tensor(p["logits"], dtype=torch.float32)
        assert expected.shape == row.shape, f"shapes differ: bertkit {list(expected.shape)}, Python {list(row.shape)}"
        diff = max(diff, (expected - row).abs().max().item())
        if task == "regress":
            agree += abs(p["value"] - row[0].item()) <= TOLERANCE
        elif task == "multilabel":  # sigmoid > 0.5
            agree += sorted(p["labels"]) == sorted(id2label[i] for i in range(len(row)) if row[i] > 0)
        else:
            agree += p["label"] == id2label[int(row.argmax())]
    return diff, agree, len(predictions)


def compare_words(predictions, words, logits, id2label):
    diff, agree, total = 0.0, 0, 0
    for p, sentence, rows in zip(predictions, words, logits):
        assert p["words"] == sentence, f"bertkit split {p['words']}, Python {sentence}"
        for tag, bertkit_row, row in zip(p["tags"], p["logits"], rows):
            total += 1
            if bertkit_row is None or row is None:
                agree += bertkit_row is None and row is None  # both found no token for the word
                if (bertkit_row is None) != (row is None):
                    diff = float("inf")
                continue
            diff = max(diff, (torch.tensor(bertkit_row, dtype=torch.float32) - row).abs().max().item())
            agree += tag == id2label[int(row.argmax())]
    return diff, agree, total


# --- Main ------------------------------------------------------------------------------------------------------------

def check(case, bertkit, work, data):
    train, inputs, source = data
    folder = work / case.name
    train_args = [bertkit, "train", "--model", MODEL, "--task", case.task, "--train", train, "--epochs", "1",
                  "--output", folder] + case.train_args
    print(f"[{case.name}] train: bertkit train --task {case.task} {' '.join(case.train_args)} --epochs 1 on {source}",
          flush=True)
    start = time.time()
    run(train_args, work / f"{case.name}-train.log")
    train_seconds = time.time() - start
    predictions = bertkit_predictions(bertkit, folder, inputs, work / f"{case.name}-predict.log")

    tokenizer = AutoTokenizer.from_pretrained(folder)
    max_length = json.loads((folder / "bertkit.json").read_text())["max_length"]
    if case.loader == "recipe":
        model = BertKitModel(folder)
    else:
        model = load_transformers(AutoModelForTokenClassification if case.task == "tag"
                                  else AutoModelForSequenceClassification, folder)
    id2label = {int(k): v for k, v in json.loads((folder / "config.json").read_text())["id2label"].items()}
    if case.task == "tag":
        truncated = sum(len(tokenizer(line.split(), is_split_into_words=True)["input_ids"]) > max_length for line in inputs)
        words, logits = word_logits(model, tokenizer, inputs, max_length)
        diff, agree, total = compare_words(predictions, words, logits, id2label)
    else:
        truncated = sum(len(tokenizer(text)["input_ids"]) > max_length for text in inputs)
        logits = sequence_logits(model, tokenizer, inputs, max_length)
        diff, agree, total = compare_sequences(predictions, logits, id2label, case.task)
    passed = diff <= TOLERANCE and agree == total
    print(f"[{case.name}] {case.loader}: max |logit difference| {diff:.3g} over {total} "
          f"{'words' if case.task == 'tag' else 'sentences'}, labels agree {agree}/{total}: "
          f"{'PASS' if passed else 'FAIL'}", flush=True)
    shutil.rmtree(folder, ignore_errors=True)  # 70 MB each
    return dict(case=case.name, head=case.description, loader=case.loader, train=f"{train_seconds:.0f} s",
                diff=f"{diff:.2e}", labels=f"{agree}/{total}", truncated=f"{truncated}/{len(inputs)}",
                result="PASS" if passed else "FAIL")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bertkit", default=".build/release/bertkit",
                        help="the bertkit binary (relative paths are from the package root)")
    parser.add_argument("--work", help="folder for data slices, models and logs (default: a temporary folder, removed)")
    parser.add_argument("--only", nargs="+", metavar="CASE", choices=[c.name for c in CASES],
                        help="run only these cases: " + ", ".join(c.name for c in CASES))
    args = parser.parse_args()

    bertkit = Path(args.bertkit)
    if not bertkit.is_absolute():
        bertkit = ROOT / bertkit
    if not bertkit.exists():
        raise SystemExit(f"no bertkit binary at {bertkit}: run `swift build -c release --product bertkit`")
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    torch.set_num_threads(os.cpu_count() or 1)

    work = Path(args.work).resolve() if args.work else Path(tempfile.mkdtemp(prefix="bertkit-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = {"sst2": sequence_data(work), "ewt": tagging_data(work),
                "regress": sentiment_variant(work, "regress"), "multilabel": sentiment_variant(work, "multilabel")}
        rows = []
        for case in CASES:
            if args.only and case.name not in args.only:
                continue
            if data[case.data] is None:
                print(f"[{case.name}] skipped: no UD EWT under ../shared/data/ud-ewt")
                rows.append(dict(case=case.name, head=case.description, loader=case.loader, train="-", diff="-",
                                 labels="-", truncated="-", result="SKIP"))
                continue
            rows.append(check(case, bertkit, work, data[case.data]))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    columns = [("case", "case"), ("head", "head"), ("loaded with", "loader"), ("train", "train"),
               ("max abs diff", "diff"), ("labels agree", "labels"), ("inputs truncated", "truncated"), ("result", "result")]
    report(f"torch {torch.__version__}, transformers {transformers.__version__}; tolerance {TOLERANCE:g}", columns, rows)


def report(versions, columns, rows):
    """Prints the machine and `versions`, then `rows` as a Markdown table of `columns` ((title, key) pairs), then
    PASS or the failed cases, and exits 1 if any row's result is FAIL. check_lora_export.py prints its table so too."""
    print(f"\n{datetime.date.today()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
          f"{versions}\n")
    widths = [max(len(title), *(len(r[key]) for r in rows)) for title, key in columns]
    print("| " + " | ".join(title.ljust(w) for (title, _), w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(r[key].ljust(w) for (_, key), w in zip(columns, widths)) + " |")
    failed = [r["case"] for r in rows if r["result"] == "FAIL"]
    print("\nFAIL: " + ", ".join(failed) if failed else "\nPASS")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
