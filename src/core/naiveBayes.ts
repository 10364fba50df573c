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
  private model: Array<{ label: L; prior: number; unseen: number; logLikelihood: Map<string, number> }> | undefined;

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
    const known = [...features].filter((f) => this.vocabulary.has(f));
    const scores = model.map((c) => ({ label: c.label, s: known.reduce((sum, f) => sum + (c.logLikelihood.get(f) ?? c.unseen), c.prior) }));
    const max = Math.max(...scores.map((x) => x.s));
    const z = scores.reduce((sum, x) => sum + Math.exp(x.s - max), 0);
    return scores.map((x) => ({ label: x.label, p: Math.exp(x.s - max) / z })).sort((a, b) => b.p - a.p);
  }

  private build() {
    const { smoothing, priors } = this.opts;
    return [...this.counts].map(([label, own]) => {
      const total = [...own.values()].reduce((a, b) => a + b, 0);
      const denominator = total + smoothing * this.vocabulary.size;
      const logLikelihood = new Map<string, number>();
      for (const [f, n] of own) logLikelihood.set(f, Math.log((n + smoothing) / denominator));
      const prior = priors ? Math.log(this.documents.get(label)! / this.documentTotal) : 0;
      return { label, prior, unseen: Math.log(smoothing / denominator), logLikelihood };
    });
  }
}
