#!/usr/bin/env python3
"""The official `openai` client against a running `bertkit serve`, compared with sentence-transformers.

Run by hand (never in CI), with `pip install openai sentence-transformers`:

    bertkit serve --model sentence-transformers/all-MiniLM-L6-v2 --port 8080 &
    python3 scripts/serve/openai_parity.py --base-url http://127.0.0.1:8080/v1

It sends the payloads of Tests/ServingTests/Fixtures/openai-parity.json (the same ones the Swift
HTTP test sends), once with the client's default encoding (base64) and once with "float", and
prints the largest absolute difference from sentence-transformers' normalized embeddings.
Exits 1 when it is over 1e-5.
"""
import argparse
import json
import pathlib
import sys

import numpy as np
from openai import OpenAI
from sentence_transformers import SentenceTransformer

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    p.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    p.add_argument("--api-key", default="unused")
    args = p.parse_args()
    fixture = json.loads((ROOT / "Tests/ServingTests/Fixtures/openai-parity.json").read_text())
    reference = SentenceTransformer(args.model, device="cpu")
    client = OpenAI(base_url=args.base_url, api_key=args.api_key)
    worst = 0.0
    for payload in fixture["payloads"]:
        expected = reference.encode(payload, normalize_embeddings=True, convert_to_numpy=True)
        for fmt in ("base64", "float"):
            kwargs = {} if fmt == "base64" else {"encoding_format": "float"}   # the client's default is base64
            response = client.embeddings.create(model=args.model, input=payload, **kwargs)
            assert [d.index for d in response.data] == list(range(len(payload)))
            assert response.usage.prompt_tokens > 0 and response.usage.total_tokens == response.usage.prompt_tokens
            got = np.array([d.embedding for d in response.data], dtype=np.float32)
            diff = float(np.abs(got - expected).max())
            worst = max(worst, diff)
            print(f"{len(payload)} inputs, encoding {fmt}: max |diff| = {diff:.3g}")
    print(f"max |diff| over all payloads: {worst:.3g}")
    sys.exit(0 if worst <= 1e-5 else 1)


if __name__ == "__main__":
    main()
