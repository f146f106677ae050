#!/usr/bin/env python3
"""Writes the first N questions of a SQuAD JSON file (file order, whole paragraphs' contexts kept) as a
SQuAD JSON file: the documented subsets docs/accuracy.md trains on when a full run does not fit.

    python3 scripts/reference/squad_subset.py DATA/squad/train.json --questions 1600 --output train-1600.json
"""
import argparse
import json


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source")
    p.add_argument("--questions", type=int, required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args()
    with open(args.source, encoding="utf-8") as f:
        squad = json.load(f)
    left, articles = args.questions, []
    for article in squad["data"]:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            if left <= 0:
                break
            qas = paragraph["qas"][:left]
            left -= len(qas)
            paragraphs.append({**paragraph, "qas": qas})
        if paragraphs:
            articles.append({**article, "paragraphs": paragraphs})
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump({"version": squad.get("version"), "data": articles}, f)
    print(f"{args.questions - max(left, 0)} questions, {len(articles)} articles -> {args.output}")


if __name__ == "__main__":
    main()
