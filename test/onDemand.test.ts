import { afterEach, describe, expect, it, vi } from "vitest";
import { OnDemand } from "../src/routing/onDemand.ts";
import { loadPlaces } from "../src/services.ts";

afterEach(() => vi.useRealTimers());

describe("rarely used indexes are held only while in use", () => {
  it("built on first use, once; dropped after the idle time without use; built again when needed", async () => {
    vi.useFakeTimers();
    let built = 0;
    const index = new OnDemand(() => ({ n: ++built }), 60_000);
    expect(index.held).toBe(false);
    expect(built).toBe(0); // nothing built before it is needed
    expect(index.get().n).toBe(1);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(index.get().n).toBe(1); // used again: kept, not rebuilt, and its idle time starts over
    await vi.advanceTimersByTimeAsync(40_000);
    expect(index.held).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(index.held).toBe(false); // 60 s without use
    expect(index.get().n).toBe(2);
    expect(index.builds).toBe(2);
  });

  it("the service's place finder loads the polygons and the name index only when asked, each once", async () => {
    const loaded: string[] = [];
    const places = await loadPlaces((what) => loaded.push(what));
    expect(loaded).toEqual([]);
    expect(places.findProvince("Hà Nội").map((p) => p.code)).toEqual(["01"]);
    expect(places.search("Hoàn Kiếm").kind).not.toBe("none");
    expect(loaded).toEqual(["names"]);
    expect(places.locate!(21.0285, 105.8542).kind).toBe("inside"); // central Hà Nội
    expect(places.locate!(21.0285, 105.8542).kind).toBe("inside");
    expect(loaded).toEqual(["names", "polygons"]);
  });
});
