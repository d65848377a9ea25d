#!/usr/bin/env python3
"""Sentence embedding with an ONNX model: `segkit embed text --model DIR` vs transformers.js's
feature-extraction pipeline (mean pooling, normalize) on the same model folder, texts and
thread count.

usage: text_models_vs_transformersjs.py SEGKIT_BINARY WORKDIR [--repeats 3] [--threads 1,2]
                                         [--step 5] [--tjs DIR]

Model: all-MiniLM-L6-v2's architecture and real tokenizer files (6 layers, hidden size 384, 12
heads, the 30,522-token vocabulary: the published model's cost) with seeded weights, built by
tests/data/make_minilm_tiny.py into WORKDIR/minilm (Debian's python3-torch); the published weights
are not available on these machines. Its tokenizer_config.json says model_max_length 256, so
both sides cut texts at sentence-transformers' 256 tokens.
Texts: every STEP-th of tests/data/tokenizers/texts.jsonl (package descriptions, documentation
paragraphs, stressed texts, 3,000-6,000-character texts; 2,060 with STEP 5).
transformers.js: npm @huggingface/transformers (installed with --ignore-scripts in DIR, default
/tmp/tjs), fp32, session_options intraOpNumThreads = threads, interOpNumThreads 1; the texts in
consecutive batches of 32, as a caller of its pipeline does. segkit: batch size 32, --threads.
Seconds exclude loading on both sides (segkit's --json "seconds"; transformers.js timed around
the pipeline calls after one warm-up call); median of the repeats. Also printed: the largest
difference between the two sides' vectors on texts of fewer than 256 tokens (on longer ones
transformers.js drops the final [SEP], see docs/embed_models.md).
"""
import argparse, csv, json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "tests", "data")

TJS = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { env, pipeline } from '@huggingface/transformers';
const [dir, name, textsPath, threads, repeats, outPath] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = dir;
const extractor = await pipeline('feature-extraction', name, { dtype: 'fp32',
  session_options: { intraOpNumThreads: Number(threads), interOpNumThreads: 1 } });
const texts = JSON.parse(readFileSync(textsPath, 'utf8'));
await extractor(texts.slice(0, 32), { pooling: 'mean', normalize: true });
const times = [];
let rows = [];
for (let r = 0; r < Number(repeats); ++r) {
  rows = [];
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < texts.length; b += 32) {
    const out = await extractor(texts.slice(b, b + 32), { pooling: 'mean', normalize: true });
    rows.push(...out.tolist());
  }
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
writeFileSync(outPath, JSON.stringify({ times, rows }));
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit")
    ap.add_argument("work")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--step", type=int, default=5)
    ap.add_argument("--tjs", default="/tmp/tjs")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    model = os.path.join(a.work, "minilm")
    if not os.path.exists(os.path.join(model, "onnx", "model.onnx")):
        subprocess.run(["/usr/bin/python3", os.path.join(DATA, "make_minilm_tiny.py"), model, "384", "6", "12", "1536"], check=True,
                       stderr=subprocess.DEVNULL)
    cfg = os.path.join(model, "tokenizer_config.json")
    with open(cfg) as f:
        c = json.load(f)
    c["model_max_length"] = 256
    with open(cfg, "w") as f:
        json.dump(c, f)
    with open(os.path.join(DATA, "tokenizers", "texts.jsonl"), encoding="utf-8") as f:
        texts = [json.loads(l) for l in f][::a.step]
    with open(os.path.join(a.work, "texts.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text"])
        for t in texts:
            w.writerow([t])
    with open(os.path.join(a.work, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    with open(os.path.join(a.tjs, "bench_tjs.mjs"), "w") as f:
        f.write(TJS)
    import numpy as np
    lengths = None
    print(f"| threads | texts | segkit texts/s | transformers.js texts/s | ratio | max abs diff (texts under 256 tokens) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for threads in [int(t) for t in a.threads.split(",")]:
        seg = []
        for _ in range(a.repeats):
            out = subprocess.run([a.segkit, "embed", "text", "--model", model, "-i", os.path.join(a.work, "texts.csv"), "--columns", "text",
                                  "-o", os.path.join(a.work, "E.npy"), "--threads", str(threads), "--json"], check=True, capture_output=True, text=True)
            seg.append(json.loads(out.stdout)["seconds"])
        r = subprocess.run(["node", os.path.join(a.tjs, "bench_tjs.mjs"), a.work, "minilm", os.path.join(a.work, "texts.json"), str(threads),
                            str(a.repeats), os.path.join(a.work, "tjs.json")], check=True, cwd=a.tjs, capture_output=True, text=True)
        with open(os.path.join(a.work, "tjs.json")) as f:
            tj = json.load(f)
        if lengths is None:
            ids = subprocess.run([a.segkit, "embed", "tokenize", "--tokenizer", model, "-i", os.path.join(a.work, "texts.csv"), "--columns", "text",
                                  "-o", os.path.join(a.work, "ids.jsonl")], check=True, capture_output=True)
            with open(os.path.join(a.work, "ids.jsonl")) as f:
                lengths = np.array([len(json.loads(l)) for l in f])
        e = np.load(os.path.join(a.work, "E.npy"))
        t = np.array(tj["rows"], dtype=np.float32)
        short = lengths < 256
        diff = float(np.abs(e[short] - t[short]).max())
        s, j = statistics.median(seg), statistics.median(tj["times"])
        print(f"| {threads} | {len(texts)} | {len(texts) / s:.1f} | {len(texts) / j:.1f} | {j / s:.2f} | {diff:.1e} |")


if __name__ == "__main__":
    sys.exit(main())
