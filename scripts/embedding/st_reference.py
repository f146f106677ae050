#!/usr/bin/env python3
"""sentence-transformers' side of the embedding figures in docs/accuracy.md and docs/benchmarks.md.

Evaluates a model (optionally only its lower --layers layers) on a BEIR folder with
InformationRetrievalEvaluator, trains it with `fit` and MultipleNegativesRankingLoss on pairs
(the recipe `bertkit train --task embedding` follows), and evaluates it again:

    scripts/embedding/st_reference.py --model sentence-transformers/all-MiniLM-L6-v2 --layers 3 \
        --pairs out/squad-train-pairs.jsonl --beir out/squad-dev-beir

Recipe: NoDuplicatesDataLoader (batch 32), MultipleNegativesRankingLoss (scale 20, cosine), 1 epoch,
AdamW lr 2e-5, weight decay 0.01 (none on biases and LayerNorm), gradient clipping at 1, linear warmup
over 10% of the steps then linear decay (--warmup; `fit`'s own default of 10000 warmup steps would never
leave warmup on a few hundred steps). Prints one JSON object: the metrics before and after, the steps,
and training pairs per second (wall time of `fit`, no evaluation inside it). --max-steps trains only
that many batches (for the benchmark).
"""
import argparse
import json
import math
import os
import random
import sys
import time

# Offline: the model comes from the local Hugging Face cache (without this, each file the hub is asked for
# is retried five times, minutes in all, before the cached copy is used).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_beir(folder):
    corpus = {}
    for d in read_jsonl(os.path.join(folder, "corpus.jsonl")):
        title = d.get("title") or ""
        corpus[str(d["_id"])] = (title + " " + d["text"]).strip() if title else d["text"]
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(os.path.join(folder, "queries.jsonl"))}
    relevant = {}
    with open(os.path.join(folder, "qrels", "test.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            if not line.strip():
                continue
            qid, did, score = line.rstrip("\n").split("\t")
            if float(score) > 0:
                relevant.setdefault(qid, set()).add(did)
    return queries, corpus, relevant


def evaluate(model, beir, batch_size):
    from sentence_transformers.evaluation import InformationRetrievalEvaluator
    queries, corpus, relevant = beir
    evaluator = InformationRetrievalEvaluator(
        queries, corpus, relevant, mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[1, 5, 10],
        precision_recall_at_k=[1, 5, 10], map_at_k=[100], batch_size=batch_size, name="beir", show_progress_bar=False)
    scores = evaluator(model)
    wanted = {"recall@1": "recall@1", "recall@5": "recall@5", "recall@10": "recall@10", "mrr@10": "mrr@10", "ndcg@10": "ndcg@10"}
    out = {}
    for key, value in scores.items():
        for name in wanted:
            if key.endswith("_" + name) and "cosine" in key:
                out[name] = float(value)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--layers", type=int, help="keep only the lower K layers (extract layers)")
    parser.add_argument("--pairs", help="JSON Lines of anchor/positive(/negative); without it, only evaluate")
    parser.add_argument("--beir", help="a BEIR folder to evaluate on, before and after training")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=0.1, help="warmup as a fraction of the steps")
    parser.add_argument("--max-steps", type=int, help="train only this many steps")
    parser.add_argument("--max-length", type=int, default=256,
                        help="truncation, as BertKit's (the model's sentence_bert_config.json says 256; "
                             "sentence-transformers 6.3 reads 512 from the tokenizer instead)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="save the trained model here")
    args = parser.parse_args()

    import torch
    from sentence_transformers import InputExample, SentenceTransformer, losses
    from sentence_transformers.datasets import NoDuplicatesDataLoader

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = args.max_length
    if args.layers:
        bert = model[0].auto_model
        bert.encoder.layer = bert.encoder.layer[: args.layers]
        bert.config.num_hidden_layers = args.layers
    result = {"model": args.model, "layers": args.layers, "max_length": model.max_seq_length, "torch": torch.__version__, "threads": args.threads}
    beir = read_beir(args.beir) if args.beir else None
    if beir:
        result["before"] = evaluate(model, beir, args.batch_size)
        print(json.dumps({"before": result["before"]}), file=sys.stderr)
    if args.pairs:
        rows = read_jsonl(args.pairs)
        examples = [InputExample(texts=[r["anchor"], r["positive"]] + ([r["negative"]] if r.get("negative") else [])) for r in rows]
        if args.max_steps:
            examples = examples[: args.max_steps * args.batch_size]
        loader = NoDuplicatesDataLoader(examples, batch_size=args.batch_size)
        loss = losses.MultipleNegativesRankingLoss(model, scale=args.scale)
        steps = (len(examples) // args.batch_size) * args.epochs
        warmup = math.ceil(steps * args.warmup)
        start = time.time()
        model.fit(train_objectives=[(loader, loss)], epochs=args.epochs, warmup_steps=warmup,
                  optimizer_params={"lr": args.lr}, show_progress_bar=False)
        seconds = time.time() - start
        result.update(pairs=len(examples), steps=steps, warmup_steps=warmup, train_seconds=seconds,
                      pairs_per_second=len(examples) * args.epochs / seconds)
        if beir:
            result["after"] = evaluate(model, beir, args.batch_size)
        if args.output:
            model.save(args.output)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
