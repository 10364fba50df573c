/**
 * Multinomial naive Bayes over string features, with additive smoothing: the text classifier
 * behind the free-text reader (intents) and the legal search (knowledge-base entries). Documents
 * are added with a weight (e.g. an entry's answer text counts less than its phrasings); `finish()`
 * fixes the model; `rank()` gives each label's probability for a set of features, best first.
 * Features never seen in training are ignored.
 */
export class NaiveBayes<L extends string> {
  private readonly counts = new Map<L, Map<string, number>>();
  private readonly documents = new Map<L, number>();
  private readonly vocabulary = new Set<string>();
  private documentTotal = 0;
  private model: { labels: L[]; base: Float64Array; unseen: Float64Array; postings: Map<string, { labels: Uint32Array; deltas: Float64Array }> } | undefined;

  constructor(
    private readonly opts: {
      /** Additive smoothing (α). */
      smoothing: number;
      /** Weigh labels by how many documents they had (true), or treat every label as equally likely. */
      priors: boolean;
    },
  ) {}

  /** Adds one document of `label`: each distinct feature counts `weight`. */
  add(label: L, features: Iterable<string>, weight = 1): void {
    this.model = undefined;
    let own = this.counts.get(label);
    if (!own) this.counts.set(label, (own = new Map()));
    this.documents.set(label, (this.documents.get(label) ?? 0) + 1);
    this.documentTotal += 1;
    for (const f of features) {
      this.vocabulary.add(f);
      own.set(f, (own.get(f) ?? 0) + weight);
    }
  }

  /** Whether training ever saw this feature. */
  knows(feature: string): boolean {
    return this.vocabulary.has(feature);
  }

  /** Each label's probability given `features`, best first (labels in training order on ties). */
  rank(features: Iterable<string>): Array<{ label: L; p: number }> {
    const model = (this.model ??= this.build());
    // Every label starts as if no feature were its own; each feature then corrects only the labels
    // that saw it (its postings), so the cost follows what the features touch, not labels × features.
    const scores = Float64Array.from(model.base);
    let known = 0;
    for (const f of features) {
      const postings = model.postings.get(f);
      if (!postings) continue;
      known++;
      for (let i = 0; i < postings.labels.length; i++) scores[postings.labels[i]!]! += postings.deltas[i]!;
    }
    for (let c = 0; c < scores.length; c++) scores[c]! += known * model.unseen[c]!;
    let max = -Infinity;
    for (const x of scores) if (x > max) max = x;
    let z = 0;
    for (const x of scores) z += Math.exp(x - max);
    return model.labels.map((label, c) => ({ label, p: Math.exp(scores[c]! - max) / z })).sort((a, b) => b.p - a.p);
  }

  private build() {
    const { smoothing, priors } = this.opts;
    const labels = [...this.counts.keys()];
    const base = new Float64Array(labels.length);
    const unseen = new Float64Array(labels.length);
    const lists = new Map<string, { labels: number[]; deltas: number[] }>();
    labels.forEach((label, c) => {
      const own = this.counts.get(label)!;
      let total = 0;
      for (const n of own.values()) total += n;
      const denominator = total + smoothing * this.vocabulary.size;
      unseen[c] = Math.log(smoothing / denominator);
      base[c] = priors ? Math.log(this.documents.get(label)! / this.documentTotal) : 0;
      for (const [f, n] of own) {
        let list = lists.get(f);
        if (!list) lists.set(f, (list = { labels: [], deltas: [] }));
        list.labels.push(c);
        list.deltas.push(Math.log((n + smoothing) / denominator) - unseen[c]!);
      }
    });
    const postings = new Map<string, { labels: Uint32Array; deltas: Float64Array }>();
    for (const [f, l] of lists) postings.set(f, { labels: Uint32Array.from(l.labels), deltas: Float64Array.from(l.deltas) });
    return { labels, base, unseen, postings };
  }
}
