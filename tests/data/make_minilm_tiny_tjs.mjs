// transformers.js's vectors for tests/data/minilm_tiny (see make_minilm_tiny.py), computed once
// with npm @huggingface/transformers 4.3.2 on Node 20 (`npm install --ignore-scripts` in a scratch
// folder; run from there):
//   node make_minilm_tiny_tjs.mjs /path/to/tests/data
// Loads minilm_tiny as a local model (env.allowRemoteModels = false), takes every 10th text's ids
// from tokenizers/minilm_ids.jsonl truncated as sentence-transformers does (first 255, then
// [SEP]), runs its model in padded batches of 32 and applies its mean_pooling and normalize, as
// the feature-extraction pipeline does; writes minilm_tiny_expected_tjs.npy (float32, 1030 x 24).
import { readFileSync, writeFileSync } from 'node:fs';
import { env, AutoModel, Tensor, mean_pooling } from '@huggingface/transformers';

const data = process.argv[2];
env.allowRemoteModels = false;
env.localModelPath = data;
const model = await AutoModel.from_pretrained('minilm_tiny', { dtype: 'fp32' });
const all = readFileSync(`${data}/tokenizers/minilm_ids.jsonl`, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
const chosen = all.filter((_, i) => i % 10 === 0).map((x) => (x.length <= 256 ? x : [...x.slice(0, 255), 102]));
const rows = [];
for (let b = 0; b < chosen.length; b += 32) {
  const batch = chosen.slice(b, b + 32);
  const n = Math.max(...batch.map((x) => x.length));
  const ids = new BigInt64Array(batch.length * n), mask = new BigInt64Array(batch.length * n);
  batch.forEach((x, i) => x.forEach((id, j) => { ids[i * n + j] = BigInt(id); mask[i * n + j] = 1n; }));
  const dims = [batch.length, n];
  const attention = new Tensor('int64', mask, dims);
  const out = await model({ input_ids: new Tensor('int64', ids, dims), attention_mask: attention, token_type_ids: new Tensor('int64', new BigInt64Array(batch.length * n), dims) });
  const pooled = mean_pooling(out.last_hidden_state, attention).normalize(2, -1);
  rows.push(...pooled.tolist());
}
const d = rows[0].length;
const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows.length}, ${d}), }`;
const pad = 64 - ((10 + header.length + 1) % 64);
const head = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.alloc(2), Buffer.from(header + ' '.repeat(pad % 64) + '\n')]);
head.writeUInt16LE(head.length - 10, 8);
writeFileSync(`${data}/minilm_tiny_expected_tjs.npy`, Buffer.concat([head, Buffer.from(new Float32Array(rows.flat()).buffer)]));
console.log(`${rows.length} x ${d} -> minilm_tiny_expected_tjs.npy`);
