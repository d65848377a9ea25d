// transformers.js's vectors for tests/data/clip_tiny (see make_clip_tiny.py, which writes
// /tmp/clip_tiny_pixels.json first), computed once with npm @huggingface/transformers 4.3.2 on
// Node 20 (`npm install --ignore-scripts` in a scratch folder; run from there):
//   node make_clip_tiny_tjs.mjs /path/to/tests/data
// Texts: every 10th of tokenizers/clip_ids.jsonl cut to 77 as the tokenizers library does (the
// first 76 ids, then <|endoftext|>), through CLIPTextModelWithProjection one at a time;
// pictures: the pixel_values make_clip_tiny.py computed with Pillow, through
// CLIPVisionModelWithProjection. Both normalized; written as clip_tiny_expected_text_tjs.npy and
// clip_tiny_expected_image_tjs.npy (float32).
import { readFileSync, writeFileSync } from 'node:fs';
import { env, Tensor, CLIPTextModelWithProjection, CLIPVisionModelWithProjection } from '@huggingface/transformers';

const data = process.argv[2];
env.allowRemoteModels = false;
env.localModelPath = data;

function saveNpy(path, rows) {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows.length}, ${rows[0].length}), }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  const head = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.alloc(2), Buffer.from(header + ' '.repeat(pad) + '\n')]);
  head.writeUInt16LE(head.length - 10, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(new Float32Array(rows.flat()).buffer)]));
}

const text = await CLIPTextModelWithProjection.from_pretrained('clip_tiny', { dtype: 'fp32' });
const all = readFileSync(`${data}/tokenizers/clip_ids.jsonl`, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
const chosen = all.filter((_, i) => i % 10 === 0).map((x) => (x.length <= 77 ? x : [...x.slice(0, 76), 49407]));
const textRows = [];
for (const x of chosen) {
  const dims = [1, x.length];
  const out = await text({ input_ids: new Tensor('int64', BigInt64Array.from(x.map(BigInt)), dims), attention_mask: new Tensor('int64', new BigInt64Array(x.length).fill(1n), dims) });
  textRows.push(...out.text_embeds.normalize(2, -1).tolist());
}
saveNpy(`${data}/clip_tiny_expected_text_tjs.npy`, textRows);

const vision = await CLIPVisionModelWithProjection.from_pretrained('clip_tiny', { dtype: 'fp32' });
const pixels = JSON.parse(readFileSync('/tmp/clip_tiny_pixels.json', 'utf8'));
const out = await vision({ pixel_values: new Tensor('float32', Float32Array.from(pixels.data), pixels.shape) });
saveNpy(`${data}/clip_tiny_expected_image_tjs.npy`, out.image_embeds.normalize(2, -1).tolist());
console.log(`${textRows.length} texts, ${pixels.shape[0]} pictures`);
