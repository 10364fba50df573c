/**
 * A fixed set of strings, each with a number, kept as one string and a few typed arrays rather
 * than a Map of small strings (~100 bytes a string in a Map; ~2–3 here): the search indexes'
 * feature and word dictionaries. Lookups are a binary search over the strings in code-unit order,
 * without allocating.
 */
export class StringTable {
  /** Every string, in sorted order, one after the other. */
  private readonly text: string;
  /** The sorted strings' start offsets in `text` (one more: the end). */
  private readonly starts: Uint32Array;
  /** The number of each sorted string. */
  private readonly numbers: Uint32Array;

  /** `entries`: distinct strings and their numbers (each below 2³²). */
  constructor(entries: Iterable<[string, number]>) {
    const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.starts = new Uint32Array(sorted.length + 1);
    this.numbers = new Uint32Array(sorted.length);
    let at = 0;
    sorted.forEach(([s, n], i) => {
      if (i > 0 && sorted[i - 1]![0] === s) throw new Error(`StringTable: "${s}" twice`);
      this.starts[i] = at;
      this.numbers[i] = n;
      at += s.length;
    });
    this.starts[sorted.length] = at;
    this.text = sorted.map(([s]) => s).join("");
  }

  /** How many strings. */
  get size(): number {
    return this.numbers.length;
  }

  /** The string's number, or undefined when it is not in the table. */
  get(s: string): number | undefined {
    let lo = 0;
    let hi = this.numbers.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(mid, s);
      if (c === 0) return this.numbers[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  has(s: string): boolean {
    return this.get(s) !== undefined;
  }

  /** The sorted string at `i` compared with `s` (code units, as `<` compares strings). */
  private compare(i: number, s: string): number {
    const start = this.starts[i]!;
    const length = this.starts[i + 1]! - start;
    const n = Math.min(length, s.length);
    for (let k = 0; k < n; k++) {
      const d = this.text.charCodeAt(start + k) - s.charCodeAt(k);
      if (d !== 0) return d;
    }
    return length - s.length;
  }
}
