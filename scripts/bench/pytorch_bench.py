#!/usr/bin/env python3
"""PyTorch's side of the BertKit benchmarks: one JSON line per run, as `bertkit bench …` prints.

Run by scripts/bench/run, which alternates it with BertKit; by hand, for example:

    python3 scripts/bench/pytorch_bench.py embed --impl sentence-transformers --data ../shared/data/sst2/dev.tsv

Subcommands mirror BertKit's: info, forward, embed, finetune, frozen, tokenize, qa. Every one takes
--model and --threads (torch.set_num_threads; set OMP_NUM_THREADS/MKL_NUM_THREADS/RAYON_NUM_THREADS in
the environment before starting Python, as the driver does). Needs torch, transformers,
sentence-transformers and tokenizers: pip install torch transformers sentence-transformers
"""
import argparse
import json
import math
import os
import resource
import sys
import time

# Everything is local: never ask the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

MASK64 = (1 << 64) - 1


def permutation(count, seed):
    """SplitMix64 + Fisher–Yates, drawn exactly as BertKit's Bench.permutation (SeededGenerator)."""
    state = seed & MASK64
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        j = z % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def read_sst2(path):
    """(labels, texts) of an SST-2 TSV: a header row, then label<TAB>text."""
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            label, text = line.split("\t", 1)
            labels.append(int(label))
            texts.append(text)
    return labels, texts


def max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def emit(figure, impl, fields):
    import torch

    out = dict(fields)
    out.update(figure=figure, impl=impl, threads=torch.get_num_threads(), max_rss_mib=round(max_rss_mib(), 1))
    print(json.dumps(out, sort_keys=True), flush=True)


def timings(repeats, body, warmup=1):
    for _ in range(warmup):
        body()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        out.append(time.perf_counter() - start)
    return out


def model_folder(model):
    """The local snapshot folder of a Hub id (or the folder itself)."""
    if os.path.isdir(model):
        return model
    from huggingface_hub import snapshot_download

    return snapshot_download(model, local_files_only=True)


def setup(args):
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed if hasattr(args, "seed") else 0)


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def pad_batch(encodings, pad_id=0):
    """Token ids, masks and type ids of lists padded to the longest, as tensors."""
    import torch

    length = max(len(e) for e in encodings)
    ids = torch.full((len(encodings), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(encodings), length), dtype=torch.long)
    for i, e in enumerate(encodings):
        ids[i, : len(e)] = torch.tensor(e)
        mask[i, : len(e)] = 1
    return ids, mask, torch.zeros_like(ids)


# ----------------------------------------------------------------------------------------------


def cmd_info(args):
    info = {"python": sys.version.split()[0]}
    for name in ("torch", "transformers", "sentence_transformers", "tokenizers", "onnxruntime"):
        try:
            info[name] = __import__(name).__version__
        except Exception as e:  # missing or broken
            info[name] = None
            info[name + "_error"] = f"{type(e).__name__}: {e}"
    if info["torch"]:
        import torch

        torch.set_num_threads(args.threads)
        info["torch_threads"] = torch.get_num_threads()
        info["mkl"] = torch.backends.mkl.is_available()
        info["mkldnn"] = torch.backends.mkldnn.is_available()
        info["openmp"] = torch.backends.openmp.is_available()
        config = torch.__config__.show()
        info["blas"] = next((l.strip() for l in config.splitlines() if "BLAS_INFO" in l), None)
        info["cpu_capability"] = next((l.strip() for l in config.splitlines() if "CPU capability" in l), None)
        info["parallel"] = torch.__config__.parallel_info().splitlines()[:8]
    print(json.dumps(info, sort_keys=True))


def cmd_forward(args):
    """Figure 1: encoder forward + mean pooling at a fixed batch × length (the same synthetic ids)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    setup(args)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, add_pooling_layer=False).eval()
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    n, s = args.batch_size, args.length
    ids = torch.tensor([[cls if t == 0 else sep if t == s - 1 else 1000 + (b * 131 + t * 17) % 20000
                         for t in range(s)] for b in range(n)])
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    checksum = [0.0]

    def body():
        with torch.inference_mode():
            hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            checksum[0] = float(mean_pool(hidden, mask)[0, :8].sum())

    seconds = timings(args.repeats, body)
    emit("forward", "pytorch", {
        "batch_size": n, "length": s, "seconds": [round(x, 4) for x in seconds],
        "sequences_per_s": round(n / min(seconds), 2), "checksum": checksum[0],
        "attn_implementation": getattr(model.config, "_attn_implementation", None),
    })


def cmd_embed(args):
    """Figure 2 (and 2b, 2c): embed every text of a file; tokenization included, model loading not.

    --impl sentence-transformers (fp32), st-bf16 (the same model after .to(torch.bfloat16)),
    ort-int8 (the model exported to ONNX and quantized with onnxruntime's quantize_dynamic, run with
    length-sorted batches, mean pooling and normalisation as sentence-transformers does) or
    transformers (AutoModel, batches in file order). The lower precisions also report the cosine of
    each embedding to sentence-transformers' fp32 one (untimed).
    """
    import torch

    setup(args)
    _, texts = read_sst2(args.data)
    result = {}
    if args.impl in ("sentence-transformers", "st-bf16"):
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(args.model, device="cpu")
        if args.impl == "st-bf16":
            model = model.to(torch.bfloat16)

        def encode():
            return model.encode(texts, batch_size=args.batch_size, show_progress_bar=False, convert_to_tensor=True).float()

        def body():
            result["dimension"] = int(encode().shape[1])

        tokens = sum(len(x) for x in model.tokenizer(texts)["input_ids"])
        impl = "pytorch-st" if args.impl == "sentence-transformers" else "pytorch-st-bf16"
        low_precision = encode if args.impl == "st-bf16" else None
    elif args.impl == "ort-int8":
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.model)
        session = ort_int8_session(args.model, args.threads)
        order = sorted(range(len(texts)), key=lambda i: len(tokenizer(texts[i])["input_ids"]))

        def encode():
            out = [None] * len(texts)
            for start in range(0, len(order), args.batch_size):
                idx = order[start:start + args.batch_size]
                batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=args.max_length,
                                  return_tensors="np")
                feeds = {i.name: batch[i.name] for i in session.get_inputs()}
                hidden = torch.from_numpy(session.run(None, feeds)[0])
                pooled = torch.nn.functional.normalize(mean_pool(hidden, torch.from_numpy(batch["attention_mask"])), dim=-1)
                for j, i in enumerate(idx):
                    out[i] = pooled[j]
            return torch.stack(out)

        def body():
            result["dimension"] = int(encode().shape[1])

        tokens = sum(len(x) for x in tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"])
        impl = "onnxruntime-int8"
        low_precision = encode
    else:
        from transformers import AutoModel, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModel.from_pretrained(args.model, add_pooling_layer=False).eval()

        def body():
            out = []
            with torch.inference_mode():
                for start in range(0, len(texts), args.batch_size):
                    batch = tokenizer(texts[start:start + args.batch_size], padding=True, truncation=True,
                                      max_length=args.max_length, return_tensors="pt")
                    hidden = model(**batch).last_hidden_state
                    out.append(torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]), dim=-1))
            result["dimension"] = int(torch.cat(out).shape[1])

        tokens = sum(len(x) for x in tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"])
        impl = "pytorch"
        low_precision = None
    seconds = timings(args.repeats, body)
    if low_precision is not None:
        from sentence_transformers import SentenceTransformer

        with torch.inference_mode():
            reference = SentenceTransformer(args.model, device="cpu").encode(
                texts, batch_size=args.batch_size, show_progress_bar=False, convert_to_tensor=True).float()
            cosine = torch.nn.functional.cosine_similarity(low_precision(), reference, dim=1)
        result.update(min_cosine_to_fp32=round(float(cosine.min()), 6), mean_cosine_to_fp32=round(float(cosine.mean()), 6))
    emit("embed", impl, {
        "sentences": len(texts), "batch_size": args.batch_size, "tokens": tokens,
        "mean_tokens": round(tokens / len(texts), 2), "seconds": [round(x, 4) for x in seconds],
        "sentences_per_s": round(len(texts) / min(seconds), 1), **result,
    })


def ort_int8_session(model_id, threads):
    """The encoder exported to ONNX (last hidden state out) and quantized by onnxruntime's
    quantize_dynamic with its defaults, as its documentation shows; made in a temporary folder."""
    import tempfile

    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    folder = tempfile.mkdtemp(prefix="bertkit-ort-")
    fp32, int8 = os.path.join(folder, "model.onnx"), os.path.join(folder, "model-int8.onnx")
    model = AutoModel.from_pretrained(model_id, add_pooling_layer=False).eval()
    sample = AutoTokenizer.from_pretrained(model_id)(["A man is eating food."], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    class Encoder(torch.nn.Module):  # positional inputs for the exporter
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    with torch.inference_mode():
        torch.onnx.export(Encoder(), tuple(sample[n] for n in names), fp32, input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(int8, options, providers=["CPUExecutionProvider"])


class Classifier:
    """AutoModel (no pooler) + mean pooling + dropout + Linear: BertKit's TransferModel with a mean head."""

    def __new__(cls, model_id, labels, layers=None):
        import torch
        from transformers import AutoModel

        class Module(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = AutoModel.from_pretrained(model_id, add_pooling_layer=False)
                if layers is not None:  # extract layers: keep the lowest K
                    self.bert.encoder.layer = self.bert.encoder.layer[:layers]
                    self.bert.config.num_hidden_layers = layers
                self.dropout = torch.nn.Dropout(self.bert.config.hidden_dropout_prob)
                self.classifier = torch.nn.Linear(self.bert.config.hidden_size, labels)

            def features(self, ids, mask, types):
                hidden = self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
                return mean_pool(hidden, mask)

            def head(self, features):
                return self.classifier(self.dropout(features))

        return Module()


def adamw(model, lr, weight_decay=0.01):
    """torch AdamW with no decay on biases and LayerNorm weights (BertKit's rule)."""
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def cmd_finetune(args):
    """Figure 3: full fine-tuning on the same batches as `bertkit bench finetune` (same seed)."""
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    setup(args)
    labels, texts = read_sst2(args.data)
    total = args.warmup + args.steps
    chosen = permutation(len(texts), args.seed)[: total * args.batch_size]
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    encodings = tokenizer([texts[i] for i in chosen], truncation=True, max_length=args.max_length)["input_ids"]
    model = Classifier(args.model, len(set(labels)), layers=args.layers)
    model.train()
    optimizer = adamw(model, args.lr)
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(0.1 * total), total)
    step_seconds, losses, lengths = [], [], []
    for step in range(total):
        sl = slice(step * args.batch_size, (step + 1) * args.batch_size)
        ids, mask, types = pad_batch(encodings[sl], tokenizer.pad_token_id)
        targets = torch.tensor([labels[i] for i in chosen[sl]])
        seconds = timed_step(model, optimizer, schedule, losses,
                             lambda: torch.nn.functional.cross_entropy(model.head(model.features(ids, mask, types)), targets))
        if step >= args.warmup:
            step_seconds.append(seconds)
            lengths.append([len(e) for e in encodings[sl]])
    timed = sum(step_seconds)
    emit("finetune", "pytorch", {
        "batch_size": args.batch_size, "warmup_steps": args.warmup, "steps": args.steps, "seed": args.seed,
        "layers": len(model.bert.encoder.layer),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "padded_tokens": sum(len(b) * max(b) for b in lengths), "tokens": sum(map(sum, lengths)),
        "seconds": round(timed, 3), "step_seconds_median": round(sorted(step_seconds)[len(step_seconds) // 2], 4),
        "examples_per_s": round(args.steps * args.batch_size / timed, 2),
        "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
    })


def cmd_qa(args):
    """Question answering: AutoModelForQuestionAnswering on the same batches of SQuAD windows as `bertkit bench qa`."""
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, get_linear_schedule_with_warmup

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    from qa_transformers import prepare_train_features, read_squad

    setup(args)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    windows = prepare_train_features(read_squad(args.data), tokenizer, args.max_length, args.doc_stride)
    total = args.warmup + args.steps
    chosen = permutation(len(windows), args.seed)[: total * args.batch_size]
    model = AutoModelForQuestionAnswering.from_pretrained(args.model)
    model.train()
    optimizer = adamw(model, args.lr)
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(0.1 * total), total)
    step_seconds, losses, lengths = [], [], []
    for step in range(total):
        batch = [windows[i] for i in chosen[step * args.batch_size:(step + 1) * args.batch_size]]
        ids, mask, _ = pad_batch([w["input_ids"] for w in batch], tokenizer.pad_token_id)
        types = torch.zeros_like(ids)
        for i, w in enumerate(batch):
            types[i, : len(w["token_type_ids"])] = torch.tensor(w["token_type_ids"])
        starts = torch.tensor([w["start_positions"] for w in batch])
        ends = torch.tensor([w["end_positions"] for w in batch])
        seconds = timed_step(model, optimizer, schedule, losses,
                             lambda: model(input_ids=ids, attention_mask=mask, token_type_ids=types,
                                           start_positions=starts, end_positions=ends).loss)
        if step >= args.warmup:
            step_seconds.append(seconds)
            lengths.append([len(w["input_ids"]) for w in batch])
    timed = sum(step_seconds)
    emit("qa", "pytorch", {
        "batch_size": args.batch_size, "warmup_steps": args.warmup, "steps": args.steps, "seed": args.seed, "windows": len(windows),
        "padded_tokens": sum(len(b) * max(b) for b in lengths), "tokens": sum(map(sum, lengths)),
        "seconds": round(timed, 3), "windows_per_s": round(args.steps * args.batch_size / timed, 2),
        "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
    })


def cmd_frozen(args):
    """Figure 4: frozen encoder (eval mode, no grad), only the head trains; the encoder runs every step."""
    import torch
    from transformers import AutoTokenizer

    setup(args)
    labels, texts = read_sst2(args.data)
    count = min(args.examples, len(texts)) if args.examples > 0 else len(texts)
    chosen = permutation(len(texts), args.seed)[:count]
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    encodings = tokenizer([texts[i] for i in chosen], truncation=True, max_length=args.max_length)["input_ids"]
    targets_all = [labels[i] for i in chosen]
    model = Classifier(args.model, len(set(labels)))
    for p in model.bert.parameters():
        p.requires_grad_(False)
    model.bert.eval()
    model.dropout.train()
    optimizer = adamw(model, args.lr)
    batches = (count + args.batch_size - 1) // args.batch_size
    epoch_seconds, loss = [], float("nan")
    for epoch in range(args.epochs):
        order = permutation(count, args.seed * 0x9E3779B9 + epoch + 1)
        start = time.perf_counter()
        for b in range(batches):
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            ids, mask, types = pad_batch([encodings[i] for i in idx], tokenizer.pad_token_id)
            with torch.no_grad():
                features = model.features(ids, mask, types)
            out = torch.nn.functional.cross_entropy(model.head(features), torch.tensor([targets_all[i] for i in idx]))
            out.backward()
            torch.nn.utils.clip_grad_norm_(model.classifier.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            loss = float(out)
        epoch_seconds.append(time.perf_counter() - start)
    later = epoch_seconds[1:]
    per_epoch = sum(later) / len(later)
    emit("frozen", "pytorch", {
        "examples": count, "full_examples": len(texts), "epochs": args.epochs, "batch_size": args.batch_size,
        "epoch_seconds": [round(x, 5) for x in epoch_seconds], "epoch_seconds_after_first": round(per_epoch, 5),
        "examples_per_s_after_first": round(count / per_epoch, 1),
        "full_epoch_seconds_extrapolated": round(per_epoch * len(texts) / count, 3), "last_loss": round(loss, 4),
    })


def cmd_tokenize(args):
    """Figure 7: tokenizers' Rust encode_batch over every text (special tokens, offsets, no padding/truncation)."""
    from tokenizers import Tokenizer

    _, texts = read_sst2(args.data)
    tokenizer = Tokenizer.from_file(os.path.join(model_folder(args.model), "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    result = {}

    def body():
        result["tokens"] = sum(len(e.ids) for e in tokenizer.encode_batch(texts))

    seconds = timings(args.repeats, body)
    out = {"sentences": len(texts), "seconds": [round(x, 4) for x in seconds],
           "sentences_per_s": round(len(texts) / min(seconds)), **result,
           "rayon_threads": os.environ.get("RAYON_NUM_THREADS")}
    out.update(figure="tokenize", impl="hf-tokenizers", threads=int(os.environ.get("RAYON_NUM_THREADS") or os.cpu_count()),
               max_rss_mib=round(max_rss_mib(), 1))
    print(json.dumps(out, sort_keys=True), flush=True)


def cmd_embedding_train(args):
    """Figure 8: sentence-transformers' `fit` with MultipleNegativesRankingLoss (scale 20) and its
    NoDuplicatesDataLoader, on the file's first (warmup + steps) × batch pairs: a first fit on the warm-up
    share is not timed, the second, on the rest, is timed whole (as `bertkit bench embedding-train`)."""
    import logging

    import torch
    from sentence_transformers import InputExample, SentenceTransformer, losses
    from sentence_transformers.datasets import NoDuplicatesDataLoader

    setup(args)
    logging.disable(logging.WARNING)
    with open(args.data, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    need = (args.warmup + args.steps) * args.batch_size
    if len(rows) < need:
        sys.exit(f"{args.data} has {len(rows)} pairs; {need} needed")
    examples = [InputExample(texts=[r["anchor"], r["positive"]]) for r in rows[:need]]
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = args.max_length
    if args.layers:
        model[0].auto_model.encoder.layer = model[0].auto_model.encoder.layer[: args.layers]
        model[0].auto_model.config.num_hidden_layers = args.layers
    loss = losses.MultipleNegativesRankingLoss(model, scale=20.0)

    def fit(share):
        loader = NoDuplicatesDataLoader(share, batch_size=args.batch_size)
        steps = len(share) // args.batch_size
        model.fit(train_objectives=[(loader, loss)], epochs=1, warmup_steps=max(1, steps // 10),
                  optimizer_params={"lr": 2e-5}, show_progress_bar=False)

    split = args.warmup * args.batch_size
    if split:
        fit(examples[:split])
    start = time.perf_counter()
    fit(examples[split:])
    seconds = time.perf_counter() - start
    emit("embedding-train", "sentence-transformers", {
        "batch_size": args.batch_size, "warmup_steps": args.warmup, "steps": args.steps, "pairs": len(examples) - split,
        "layers": len(model[0].auto_model.encoder.layer), "max_length": model.max_seq_length, "seconds": round(seconds, 3),
        "pairs_per_s": round((len(examples) - split) / seconds, 2), "torch": torch.__version__})



def timed_step(model, optimizer, schedule, losses, loss_of_batch):
    """One optimizer step as both training figures take it (forward, backward, clipping at 1, AdamW, schedule),
    timed; the loss is appended to `losses`. Returns the seconds."""
    import torch

    start = time.perf_counter()
    loss = loss_of_batch()
    losses.append(float(loss))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def training_loop(p, batch_size, warmup, steps):
    """The options every training figure shares with `bertkit bench`'s BenchLoop: batch size,
    untimed warm-up steps, timed steps and the seed of the shared batch order."""
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--warmup", type=int, default=warmup)
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--seed", type=int, default=0)
    return p

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, func, data=False, repeats=None):
        p = sub.add_parser(name)
        p.set_defaults(func=func)
        p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
        p.add_argument("--threads", type=int, default=2)
        if data:
            p.add_argument("--data", required=True)
        if repeats:
            p.add_argument("--repeats", type=int, default=repeats)
        return p

    command("info", cmd_info)
    p = command("forward", cmd_forward, repeats=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--length", type=int, default=128)
    p = command("embed", cmd_embed, data=True, repeats=5)
    p.add_argument("--impl", choices=["transformers", "sentence-transformers", "st-bf16", "ort-int8"], default="transformers")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=256)
    p = training_loop(command("finetune", cmd_finetune, data=True), batch_size=32, warmup=5, steps=60)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--layers", type=int, default=None, help="keep only the lowest K encoder layers")
    p = command("frozen", cmd_frozen, data=True)
    p.add_argument("--examples", type=int, default=4096)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    command("tokenize", cmd_tokenize, data=True, repeats=5)
    p = training_loop(command("embedding-train", cmd_embedding_train, data=True), batch_size=32, warmup=3, steps=30)
    p.add_argument("--layers", type=int, default=None, help="keep only the lowest K encoder layers")
    p.add_argument("--max-length", type=int, default=256,
                   help="truncation (the model's sentence_bert_config.json says 256; sentence-transformers 6.3 reads 512)")
    p = training_loop(command("qa", cmd_qa, data=True), batch_size=16, warmup=3, steps=20)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--max-length", type=int, default=384)
    p.add_argument("--doc-stride", type=int, default=128)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
