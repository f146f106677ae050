"""Baseline for the BertKit sentiment example: a frozen all-MiniLM-L6-v2 encoder (mean pooling,
L2-normalised, as sentence-transformers does) and a logistic-regression head. Run by hand:

    HF_HUB_OFFLINE=1 python3 examples/sentiment/baseline.py

Needs torch, transformers and scikit-learn, and the model in the Hugging Face cache.
"""
import csv
import pathlib
import sys

import torch
from sklearn.linear_model import LogisticRegression
from transformers import AutoModel, AutoTokenizer

HERE = pathlib.Path(__file__).resolve().parent
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def read(name):
    with open(HERE / name, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [r["text"] for r in rows], [r["label"] for r in rows]


@torch.no_grad()
def embed(texts, tokenizer, model):
    batch = tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def main():
    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModel.from_pretrained(MODEL).eval()
    train_x, train_y = read("train.tsv")
    dev_x, dev_y = read("dev.tsv")
    train_e, dev_e = embed(train_x, tokenizer, model), embed(dev_x, tokenizer, model)
    for c in (float(a) for a in (sys.argv[1:] or ["1", "10", "100"])):
        head = LogisticRegression(C=c, max_iter=2000).fit(train_e, train_y)
        predicted = head.predict(dev_e)
        accuracy = sum(p == g for p, g in zip(predicted, dev_y)) / len(dev_y)
        print(f"C={c:g}: train accuracy {head.score(train_e, train_y):.3f}, dev accuracy {accuracy:.3f}")
        if c == 10:
            for text, p, g in zip(dev_x, predicted, dev_y):
                if p != g:
                    print(f"  wrong ({g} as {p}): {text}")


if __name__ == "__main__":
    main()
