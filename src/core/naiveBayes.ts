import { StringTable } from "./stringTable.ts";

/**
 * Multinomial naive Bayes over string features, with additive smoothing: the text classifier
 * behind the free-text reader (intents) and the legal search (knowledge-base entries). Documents
 * are added with a weight (e.g. an entry's answer text counts less than its phrasings); `seal()`
 * (or the first `rank()`) fixes the model; `rank()` gives each label's probability for a set of
 * features, best first. Features never seen in training are ignored.
 *
 * Memory: features are numbered in order of first appearance (see `id`); once sealed, they are
 * kept in a `StringTable` and the training counts are dropped. The model's postings are flat typed
 * arrays (feature → the labels that saw it and their count), and a posting's correction is read
 * from a small table by (count, label) — a feature's counts take few distinct values — instead of
 * a double per posting: the legal search's model (~90,000 features, ~400,000 postings) takes about
 * 2 MB. Every probability is computed exactly as from the counts.
 */
export class NaiveBayes<L extends string> {
  /** Every feature seen in training, numbered in order of first appearance (a table once sealed). */
  private ids: Map<string, number> | StringTable = new Map();
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
    const ids = this.ids as Map<string, number>;
    for (const f of features) {
      let id = ids.get(f);
      if (id === undefined) ids.set(f, (id = ids.size));
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
    if (this.ids instanceof Map) this.ids = new StringTable(this.ids);
    return this;
  }

  /** Each label's probability given `features`, best first (labels in training order on ties). */
  rank(features: Iterable<string>): Array<{ label: L; p: number }> {
    const p = this.probabilities(features);
    return this.labels.map((label, c) => ({ label, p: p[c]! })).sort((a, b) => b.p - a.p);
  }

  /**
   * The `limit` most probable labels given `features`, best first (training order on ties, as
   * `rank`), and any label's probability: what a caller needs of a model with hundreds of labels
   * without an object for each.
   */
  top(features: Iterable<string>, limit: number): { best: Array<{ label: L; p: number }>; probability: (label: L) => number } {
    const p = this.probabilities(features);
    const order = Uint32Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
    const best: Array<{ label: L; p: number }> = [];
    for (let i = 0; i < order.length && i < limit; i++) best.push({ label: this.labels[order[i]!]!, p: p[order[i]!]! });
    return { best, probability: (label) => p[this.labelIds.get(label) ?? -1] ?? 0 };
  }

  /** Each label's probability (by label number) given `features`. */
  private probabilities(features: Iterable<string>): Float64Array {
    const model = (this.model ??= this.build());
    // Every label starts as if no feature were its own; each feature then corrects only the labels
    // that saw it (its postings), so the cost follows what the features touch, not labels × features.
    const scores = Float64Array.from(model.base);
    const { offsets, labels, counts, corrections, deltas } = model;
    const width = scores.length;
    let known = 0;
    for (const f of features) {
      const id = this.ids.get(f);
      if (id === undefined) continue;
      known++;
      const end = offsets[id + 1]!;
      if (deltas) for (let i = offsets[id]!; i < end; i++) scores[labels[i]!]! += deltas[i]!;
      else
        for (let i = offsets[id]!; i < end; i++) {
          const c = labels[i]!;
          scores[c]! += corrections[counts[i]! * width + c]!;
        }
    }
    for (let c = 0; c < scores.length; c++) scores[c]! += known * model.unseen[c]!;
    let max = -Infinity;
    for (const x of scores) if (x > max) max = x;
    let z = 0;
    for (const x of scores) z += Math.exp(x - max);
    for (let c = 0; c < scores.length; c++) scores[c] = Math.exp(scores[c]! - max) / z;
    return scores;
  }

  private build(): Model {
    const counts = this.counts;
    if (!counts) throw new Error("NaiveBayes: sealed without a model");
    const { smoothing, priors } = this.opts;
    const n = this.labels.length;
    const features = this.ids.size;
    const base = new Float64Array(n);
    const unseen = new Float64Array(n);
    const denominators = new Float64Array(n);
    // Postings laid out feature by feature, each feature's labels in training order.
    const offsets = new Uint32Array(features + 1);
    const values = new Map<number, number>();
    for (const own of counts)
      for (const [id, k] of own) {
        offsets[id + 1]!++;
        if (!values.has(k)) values.set(k, values.size);
      }
    for (let f = 0; f < features; f++) offsets[f + 1]! += offsets[f]!;
    const size = offsets[features]!;
    counts.forEach((own, c) => {
      let total = 0;
      for (const k of own.values()) total += k;
      denominators[c] = total + smoothing * features;
      unseen[c] = Math.log(smoothing / denominators[c]!);
      base[c] = priors ? Math.log(this.documents[c]! / this.documentTotal) : 0;
    });
    /** A label's correction for a feature it saw `k` times (weighted). */
    const correction = (k: number, c: number) => Math.log((k + smoothing) / denominators[c]!) - unseen[c]!;
    // Corrections by (distinct count, label) when that table is smaller than one per posting.
    const tabled = values.size * n <= size;
    const labels = n <= 0x10000 ? new Uint16Array(size) : new Uint32Array(size);
    const kinds = !tabled ? undefined : values.size <= 0x100 ? new Uint8Array(size) : values.size <= 0x10000 ? new Uint16Array(size) : new Uint32Array(size);
    const deltas = tabled ? undefined : new Float64Array(size);
    const next = offsets.slice(0, features);
    counts.forEach((own, c) => {
      for (const [id, k] of own) {
        const at = next[id]!++;
        labels[at] = c;
        if (kinds) kinds[at] = values.get(k)!;
        else deltas![at] = correction(k, c);
      }
    });
    const corrections = new Float64Array(tabled ? values.size * n : 0);
    if (tabled) for (const [k, d] of values) for (let c = 0; c < n; c++) corrections[d * n + c] = correction(k, c);
    return { base, unseen, offsets, labels, counts: kinds ?? new Uint8Array(0), corrections, deltas };
  }
}

/** A fixed model: per label its prior and its log-probability of an unseen feature; per feature (by number) its postings. */
interface Model {
  base: Float64Array;
  unseen: Float64Array;
  /** Feature f's postings are `labels[offsets[f]] … labels[offsets[f + 1] - 1]`, with their `counts` (or `deltas`). */
  offsets: Uint32Array;
  labels: Uint16Array | Uint32Array;
  /** Each posting's count, as a row of `corrections` (a row per distinct count, a column per label). */
  counts: Uint8Array | Uint16Array | Uint32Array;
  corrections: Float64Array;
  /** Each posting's correction itself, when the table would be the larger (then `counts` is empty). */
  deltas?: Float64Array;
}
