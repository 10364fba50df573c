import { describe, expect, it } from "vitest";
import type { Tx } from "../src/db/client.ts";
import { OffTransaction, offTransaction, offloadIn, startedIn } from "../src/core/offTransaction.ts";

// Slow work outside a group's transaction (core/offTransaction.ts): an attempt never waits for it
// inside the transaction, even when another attempt started the same work first.

/** A stand-in for one update's attempt in a group transaction. */
const attemptTx = (): Tx => {
  const tx = {} as Tx;
  offloadIn(tx);
  return tx;
};

describe("slow work outside the transaction", () => {
  it("an attempt that finds the same work still under way is put off too (it never waits inside the transaction); once done, the result is handed over", async () => {
    let release!: (v: string) => void;
    const slow = new Promise<string>((r) => (release = r));
    let computed = 0;
    const compute = () => (computed++, slow);
    const key = `same work ${Math.random()}`;

    const first = attemptTx();
    await expect(offTransaction(first, key, compute)).rejects.toBeInstanceOf(OffTransaction);
    // A second attempt under the same key while the work runs: put off at once, not waiting for it.
    const second = attemptTx();
    let settled = false;
    const tried = offTransaction(second, key, compute).then(
      () => (settled = true),
      (err: unknown) => ((settled = true), err),
    );
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
    expect(await tried).toBeInstanceOf(OffTransaction);
    expect(startedIn(second)).toBeInstanceOf(Promise);
    expect(computed).toBe(1);

    release("made slowly");
    await startedIn(first);
    await startedIn(second);
    // The update processed again: the result at once.
    expect(await offTransaction(attemptTx(), key, compute)).toBe("made slowly");
    expect(computed).toBe(1);
  });

  it("outside a group (no attempt) the work simply runs in place", async () => {
    expect(await offTransaction({} as Tx, `in place ${Math.random()}`, async () => 42)).toBe(42);
  });
});
