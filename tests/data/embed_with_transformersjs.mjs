// transformers.js's sentence vectors of some texts with a local model folder, for the opt-in test
// of a real model (tests/embed/test_text_models.cpp, SEGKIT_TEST_MODEL_DIR):
//   node embed_with_transformersjs.mjs MODEL_DIR TEXTS.json OUT.json
// Node finds the package next to the script: the test copies it into the folder where
// `npm install --ignore-scripts @huggingface/transformers` was run (its SEGKIT_TEST_TRANSFORMERS_JS). The feature-extraction pipeline, fp32, mean pooling and
// normalize, as sentence-transformers computes all-MiniLM-L6-v2's vectors; texts one call each.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';

const [modelDir, textsPath, outPath] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(modelDir));
const extractor = await pipeline('feature-extraction', path.basename(path.resolve(modelDir)), { dtype: 'fp32' });
const texts = JSON.parse(readFileSync(textsPath, 'utf8'));
const rows = [];
for (const t of texts) rows.push(...(await extractor([t], { pooling: 'mean', normalize: true })).tolist());
writeFileSync(outPath, JSON.stringify(rows));
