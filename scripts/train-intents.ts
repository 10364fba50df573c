/**
 * Trains the free-text intent classifier and writes `data/intents/model.json`, which the service
 * loads at start (training takes tens of seconds, so it is not done at start-up).
 *   npm run intents:train
 * Training data: `data/intents/training.json` (a corpus written apart from the evaluation set) and
 * the tuning half (odd ids) of `test/intents-eval/messages.json`. The even ids of that set are
 * never used here: `bench/intents.ts` reports on them.
 */
import fs from "node:fs";
import { IntentReader, INTENT_MODEL_FILE, INTENT_TRAINING_FILE, intentTrainingDigest, intentTrainingSet } from "../src/core/resident/intents.ts";
import { createTranslator } from "../src/i18n.ts";

const examples = intentTrainingSet();
const reader = new IntentReader(createTranslator().t);
const started = performance.now();
reader.train(examples);
const json = reader.modelJSON();
// Weights rounded to 5 decimals: the file stays small and the readings are unchanged.
const rounded = { trainedOn: intentTrainingDigest(examples), ...json, perceptrons: json.perceptrons?.map((p) => p.map((w) => Math.round(w * 1e5) / 1e5)) };
fs.writeFileSync(INTENT_MODEL_FILE, JSON.stringify(rounded));
console.log(`trained on ${examples.length} messages (${INTENT_TRAINING_FILE} + tuning half) in ${((performance.now() - started) / 1000).toFixed(1)} s → ${INTENT_MODEL_FILE}`);
