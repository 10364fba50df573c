/**
 * Multinomial naive Bayes over string features, with additive smoothing: the text classifier
 * behind the free-text reader (intents) and the legal search (knowledge-base entries). Documents
 * are added with a weight (e.g. an entry's answer text counts less than its phrasings); `seal()`
 * (or the first `rank()`) fixes the model; `rank()` gives each label's probability for a set of
 * features, best first. Features never seen in training are ignored.
 *
 * Memory: each feature string is kept once (numbered in order of first appearance, see `id`), and
 * the model's postings are three flat typed arrays (feature → the labels that saw it and their
 * corrections) rather than a map of small arrays: the legal search's model with ~60,000 features
 * and ~300,000 postings takes a few megabytes instead of tens. `seal()` drops the training counts.
 */
export class NaiveBayes<L extends string> {
  /** Every feature seen in training, numbered in order of first appearance. */
  private readonly ids = new Map<string, number>();
  private readonly labels: L[] = [];
  private readonly labelIds = new Map<L, number>();
  /** Per label (by number): feature number → weighted count. Dropped by `seal()`. */
  private counts: Array<Map<number, number>> | undefined = [];
  private readonly documents: number[] = [];
  private documentTotal = 0;
  private model: Model | undefined;

  constructor(
    private readonly opts: {
      /** Additive smoothing (α). */
      smoothing: number;
      /** Weigh labels by how many documents they had (true), or treat every label as equally likely. */
      priors: boolean;
    },
  ) {}

  /** Adds one document of `label`: each distinct feature counts `weight`. Not after `seal()`. */
  add(label: L, features: Iterable<string>, weight = 1): void {
    const counts = this.counts;
    if (!counts) throw new Error("NaiveBayes: sealed (no more training)");
    this.model = undefined;
    let c = this.labelIds.get(label);
    if (c === undefined) {
      c = this.labels.push(label) - 1;
      this.labelIds.set(label, c);
      counts.push(new Map());
      this.documents.push(0);
    }
    const own = counts[c]!;
    this.documents[c]! += 1;
    this.documentTotal += 1;
    for (const f of features) {
      let id = this.ids.get(f);
      if (id === undefined) this.ids.set(f, (id = this.ids.size));
      own.set(id, (own.get(id) ?? 0) + weight);
    }
  }

  /** Whether training ever saw this feature. */
  knows(feature: string): boolean {
    return this.ids.has(feature);
  }

  /** The feature's number (0 … `features - 1`, in order of first appearance), or undefined when training never saw it. */
  id(feature: string): number | undefined {
    return this.ids.get(feature);
  }

  /** How many distinct features training saw. */
  get features(): number {
    return this.ids.size;
  }

  /** Fixes the model now and drops the training counts (no `add` after this). */
  seal(): this {
    this.model ??= this.build();
    this.counts = undefined;
    return this;
  }

  /** Each label's probability given `features`, best first (labels in training order on ties). */
  rank(features: Iterable<string>): Array<{ label: L; p: number }> {
    const model = (this.model ??= this.build());
    // Every label starts as if no feature were its own; each feature then corrects only the labels
    // that saw it (its postings), so the cost follows what the features touch, not labels × features.
    const scores = Float64Array.from(model.base);
    const { offsets, labels, deltas } = model;
    let known = 0;
    for (const f of features) {
      const id = this.ids.get(f);
      if (id === undefined) continue;
      known++;
      for (let i = offsets[id]!, end = offsets[id + 1]!; i < end; i++) scores[labels[i]!]! += deltas[i]!;
    }
    for (let c = 0; c < scores.length; c++) scores[c]! += known * model.unseen[c]!;
    let max = -Infinity;
    for (const x of scores) if (x > max) max = x;
    let z = 0;
    for (const x of scores) z += Math.exp(x - max);
    return this.labels.map((label, c) => ({ label, p: Math.exp(scores[c]! - max) / z })).sort((a, b) => b.p - a.p);
  }

  private build(): Model {
    const counts = this.counts;
    if (!counts) throw new Error("NaiveBayes: sealed without a model");
    const { smoothing, priors } = this.opts;
    const n = this.labels.length;
    const base = new Float64Array(n);
    const unseen = new Float64Array(n);
    // Postings laid out feature by feature, each feature's labels in training order.
    const offsets = new Uint32Array(this.ids.size + 1);
    for (const own of counts) for (const id of own.keys()) offsets[id + 1]!++;
    for (let f = 0; f < this.ids.size; f++) offsets[f + 1]! += offsets[f]!;
    const size = offsets[this.ids.size]!;
    const labels = new Uint32Array(size);
    const deltas = new Float64Array(size);
    const next = offsets.slice(0, this.ids.size);
    counts.forEach((own, c) => {
      let total = 0;
      for (const k of own.values()) total += k;
      const denominator = total + smoothing * this.ids.size;
      unseen[c] = Math.log(smoothing / denominator);
      base[c] = priors ? Math.log(this.documents[c]! / this.documentTotal) : 0;
      for (const [id, k] of own) {
        const at = next[id]!++;
        labels[at] = c;
        deltas[at] = Math.log((k + smoothing) / denominator) - unseen[c]!;
      }
    });
    return { base, unseen, offsets, labels, deltas };
  }
}

/** A fixed model: per label its prior and its log-probability of an unseen feature; per feature (by number) its postings. */
interface Model {
  base: Float64Array;
  unseen: Float64Array;
  /** Feature f's postings are `labels[offsets[f]] … labels[offsets[f + 1] - 1]`, with their `deltas`. */
  offsets: Uint32Array;
  labels: Uint32Array;
  deltas: Float64Array;
}
