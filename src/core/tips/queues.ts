import fs from "node:fs";
import type { Db, Tx } from "../../db/client.ts";
import { fromRoot } from "../../paths.ts";

/** data/routing-rules.json: category → extra queues, editable without code changes. */
export const ROUTING_RULES_FILE = fromRoot("data", "routing-rules.json");

/** The queue of a commune's police. */
export const communeQueueId = (communeCode: string) => `commune:${communeCode}`;
/** The duty queue of a province's police: tips with no known commune, and fall-back for unbound communes. */
export const provinceQueueId = (provinceCode: string) => `province:${provinceCode}`;
/**
 * The national fall-back queue: its group shows every tip whose commune and province duty queues
 * have no group bound, so no tip waits unseen (`queue:bind --unit VN`).
 */
export const NATIONAL_QUEUE_ID = "national:VN";

const lower = (type: string, shortName: string) => `${type} ${shortName}`;

/**
 * Makes sure every commune has its queue and every province its duty and cyber-security queues, and
 * loads the routing rules file. Idempotent: existing queues (and their group bindings) are kept,
 * names are refreshed.
 */
export async function ensureQueues(db: Db, rulesFile = ROUTING_RULES_FILE): Promise<{ created: number }> {
  const [provinces, communes, existing] = await Promise.all([
    db.province.findMany(),
    db.commune.findMany(),
    db.queue.findMany({ select: { id: true, name: true } }),
  ]);
  const known = new Map(existing.map((q) => [q.id, q.name]));
  const wanted: Array<{ id: string; kind: string; name: string; provinceCode: string; communeCode: string | null }> = [];
  for (const p of provinces) {
    wanted.push({ id: provinceQueueId(p.code), kind: "province", name: `Trực ban Công an ${lower(p.type, p.shortName)}`, provinceCode: p.code, communeCode: null });
    wanted.push({ id: `cyber:${p.code}`, kind: "cyber", name: `Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao — Công an ${lower(p.type, p.shortName)}`, provinceCode: p.code, communeCode: null });
  }
  wanted.push({ id: NATIONAL_QUEUE_ID, kind: "national", name: "Trực ban toàn quốc (dự phòng)", provinceCode: "VN", communeCode: null });
  // The outreach staff's group (legal awareness campaigns: progress and reports).
  wanted.push({ id: "outreach:VN", kind: "outreach", name: "Cán bộ tuyên truyền, phổ biến pháp luật", provinceCode: "VN", communeCode: null });
  // The legal staff's group (questions the knowledge base could not answer).
  wanted.push({ id: "legal:VN", kind: "legal", name: "Cán bộ pháp lý", provinceCode: "VN", communeCode: null });
  for (const c of communes) {
    wanted.push({ id: communeQueueId(c.code), kind: "commune", name: `Công an ${lower(c.type, c.shortName)}`, provinceCode: c.provinceCode, communeCode: c.code });
  }
  const fresh = wanted.filter((q) => !known.has(q.id));
  await db.$transaction(async (tx) => {
    for (let i = 0; i < fresh.length; i += 100) await tx.queue.createMany({ data: fresh.slice(i, i + 100) });
    for (const q of wanted) {
      const name = known.get(q.id);
      if (name !== undefined && name !== q.name) await tx.queue.update({ where: { id: q.id }, data: { name: q.name } });
    }
    await loadRoutingRules(tx, rulesFile);
  }, { timeout: 120_000, maxWait: 30_000 });
  return { created: fresh.length };
}

async function loadRoutingRules(tx: Tx, file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { rules?: Array<{ category: string; queueKind: string; provinceCode?: string }> };
  const rules = parsed.rules ?? [];
  await tx.routingRule.deleteMany({});
  if (rules.length) {
    await tx.routingRule.createMany({
      data: rules.map((r) => ({ category: r.category, queueKind: r.queueKind, provinceCode: r.provinceCode ?? null })),
    });
  }
}

/** Where a tip goes: its commune's queue (or the province duty queue), and the info-only copies. */
export async function routeTip(
  tx: Tx,
  place: { provinceCode: string; communeCode?: string | null },
  category: string,
): Promise<{ queueId: string; copyQueueIds: string[] }> {
  const queueId = place.communeCode ? communeQueueId(place.communeCode) : provinceQueueId(place.provinceCode);
  const rules = await tx.routingRule.findMany({ where: { category, OR: [{ provinceCode: null }, { provinceCode: place.provinceCode }] } });
  const candidates = rules.map((r) => `${r.queueKind}:${place.provinceCode}`).filter((id) => id !== queueId);
  const existing = candidates.length ? await tx.queue.findMany({ where: { id: { in: candidates } }, select: { id: true } }) : [];
  return { queueId, copyQueueIds: existing.map((q) => q.id) };
}
