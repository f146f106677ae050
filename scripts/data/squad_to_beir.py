#!/usr/bin/env python3
"""SQuAD v1.1 JSON to the data `bertkit train --task embedding` and `bertkit eval --task retrieval` read.

    scripts/data/squad_to_beir.py --squad DATA/squad/dev.json --beir out/squad-dev-beir
    scripts/data/squad_to_beir.py --squad DATA/squad/train.json --pairs out/squad-train-pairs.jsonl

--beir writes a BEIR folder: queries.jsonl (every question), corpus.jsonl (every paragraph of the
file's articles, with id ARTICLE-PARAGRAPH and an empty title, so that a document is the same text as
a training pair's positive) and qrels/test.tsv (each question and its own paragraph, score 1).
--pairs writes JSON Lines of {"anchor": question, "positive": its paragraph}.

Standard library only; the output depends only on the input file.
"""
import argparse
import json
import os
import sys


def paragraphs(squad):
    for a, article in enumerate(squad["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            yield f"{a}-{p}", paragraph


def write_lines(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(row + "\n")
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", required=True, help="a SQuAD v1.1 JSON file")
    parser.add_argument("--beir", help="write a BEIR folder here")
    parser.add_argument("--pairs", help="write (question, paragraph) pairs here, as JSON Lines")
    args = parser.parse_args()
    if not args.beir and not args.pairs:
        parser.error("give --beir FOLDER, --pairs FILE or both")
    with open(args.squad, encoding="utf-8") as f:
        squad = json.load(f)

    corpus, queries, qrels, pairs = [], [], ["query-id\tcorpus-id\tscore"], []
    for doc_id, paragraph in paragraphs(squad):
        context = paragraph["context"]
        corpus.append(json.dumps({"_id": doc_id, "title": "", "text": context}, ensure_ascii=False))
        for qa in paragraph["qas"]:
            queries.append(json.dumps({"_id": qa["id"], "text": qa["question"]}, ensure_ascii=False))
            qrels.append(f"{qa['id']}\t{doc_id}\t1")
            pairs.append(json.dumps({"anchor": qa["question"], "positive": context}, ensure_ascii=False))

    if args.beir:
        os.makedirs(os.path.join(args.beir, "qrels"), exist_ok=True)
        write_lines(os.path.join(args.beir, "corpus.jsonl"), corpus)
        write_lines(os.path.join(args.beir, "queries.jsonl"), queries)
        write_lines(os.path.join(args.beir, "qrels", "test.tsv"), qrels)
        print(f"{args.beir}: {len(corpus)} documents, {len(queries)} queries", file=sys.stderr)
    if args.pairs:
        write_lines(args.pairs, pairs)
        print(f"{args.pairs}: {len(pairs)} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
