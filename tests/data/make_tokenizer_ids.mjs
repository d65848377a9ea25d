// Reference token ids for tests/embed/test_hf_tokenizer.cpp, computed once with transformers.js
// (npm @huggingface/transformers 4.3.2 on Node 20; `npm install --ignore-scripts` in a scratch
// folder, then run from that folder):
//   node make_tokenizer_ids.mjs MODELS_DIR NAME TEXTS.jsonl OUT.jsonl [STEP]
// MODELS_DIR/NAME holds the tokenizer's files (tokenizer.json, tokenizer_config.json); each text
// of TEXTS.jsonl is encoded with special tokens and without truncation (transformers.js cuts the
// ids after adding the special tokens, dropping the final one, where Hugging Face tokenizers and
// sentence-transformers cut the text's tokens and keep them: the test applies that rule), and its
// ids written as one JSON array per line (of every STEP-th text, default every text). Made for:
//   all-MiniLM-L6-v2's real tokenizer.json -> tokenizers/minilm_ids.jsonl
//   clip_tiny/tokenizer.json (with its tokenizer_config.json) -> tokenizers/clip_ids.jsonl
//   tokenizers/unigram.json as NAME/tokenizer.json, with a tokenizer_config.json saying
//   {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 100000}, STEP 5
//   -> tokenizers/unigram_tjs_ids.jsonl
import { readFileSync, writeFileSync } from 'node:fs';
import { env, AutoTokenizer } from '@huggingface/transformers';

const [modelsDir, name, textsPath, outPath, step = '1'] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = modelsDir;
const tok = await AutoTokenizer.from_pretrained(name);
const texts = readFileSync(textsPath, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l)).filter((_, i) => i % Number(step) === 0);
const lines = texts.map((t) => {
  const e = tok(t, { truncation: false });
  return JSON.stringify(Array.from(e.input_ids.data, Number));
});
writeFileSync(outPath, lines.join('\n') + '\n');
console.log(`${texts.length} texts -> ${outPath}`);
