import type { Db } from "../../db/client.ts";
import type { SchemaModel } from "../../db/schemaModels.ts";
import type { Sealer } from "../../security/sealing.ts";
import { ANNOTATIONS, FIELD_CLASSES, annotatedFields, type FieldClass, type Subjects } from "./annotations.ts";

/** Context sealing the file of residents to notify (never written in clear). */
export const BREACH_RECIPIENTS_CONTEXT = "breach-recipients";

/** One table touched during the window: how many rows, and what personal data it holds. */
export interface BreachTable {
  model: string;
  subjects: Subjects;
  rows: number;
  /** Personal data classes held (sensitive, sealed, identifier, basic), most serious first. */
  classes: FieldClass[];
  what: { vi: string; en: string };
}

/** What a breach window concerns: tables, audit log, residents by channel (counts only). */
export interface BreachReport {
  from: Date;
  to: Date;
  tables: BreachTable[];
  /** Audit events in the window, per action (e.g. contacts opened, refusals, key rotations). */
  audit: Array<{ action: string; count: number }>;
  /** Residents' chats concerned, per channel. */
  residents: Record<string, number>;
  /** Tips received or changed in the window, per channel and identity mode. */
  tips: Record<string, Record<string, number>>;
  /** Internal chat ids that can be notified (never printed: the CLI writes them sealed). */
  recipients: string[];
}

const TIME_FIELDS = ["createdAt", "updatedAt", "at", "receivedAt", "sentAt", "processedAt", "consentedAt", "stoppedAt", "closedAt", "answeredAt"];
const PERSONAL: FieldClass[] = ["s", "x", "i", "p"];

type Delegate = { count(args: unknown): Promise<number>; findMany(args: unknown): Promise<Array<Record<string, unknown>>> };
const delegate = (db: Db, model: string) => (db as unknown as Record<string, Delegate>)[model[0]!.toLowerCase() + model.slice(1)]!;

/**
 * Lists what a breach between `from` and `to` may have exposed: every table holding personal data
 * with rows written in the window (or only `tables`), the audit log's actions in the window, and
 * the residents concerned — counted by channel, never named. Tipsters are found by opening the
 * tips' sealed reply references, so that they too can be told; the ids stay in `recipients`.
 */
export async function breachReport(db: Db, sealer: Sealer, models: SchemaModel[], props: { from: Date; to: Date; tables?: string[] }): Promise<BreachReport> {
  const { from, to } = props;
  const inWindow = { gte: from, lte: to };
  const wanted = (model: string) => !props.tables?.length || props.tables.includes(model);
  const tables: BreachTable[] = [];
  for (const model of models) {
    const a = ANNOTATIONS[model.name];
    if (!a || !wanted(model.name)) continue;
    const fields = annotatedFields(a);
    const classes = PERSONAL.filter((c) => [...fields.values()].includes(c));
    if (!classes.length && !props.tables?.length) continue;
    const times = model.fields.filter((f) => f.type === "DateTime" && TIME_FIELDS.includes(f.name)).map((f) => f.name);
    if (!times.length) continue;
    const rows = await delegate(db, model.name).count({ where: { OR: times.map((f) => ({ [f]: inWindow })) } });
    if (rows) tables.push({ model: model.name, subjects: a.subjects, rows, classes, what: a.kept });
  }

  const audit = (await db.auditEvent.groupBy({ by: ["action"], where: { at: inWindow }, _count: { _all: true }, orderBy: { action: "asc" } })).map((g) => ({
    action: g.action,
    count: g._count._all,
  }));

  const chatIds = new Set<string>();
  const add = (rows: Array<{ chatId: string }>) => rows.forEach((r) => chatIds.add(r.chatId));
  if (wanted("Chat")) (await db.chat.findMany({ where: { kind: "private", OR: [{ createdAt: inWindow }, { updatedAt: inWindow }] }, select: { id: true } })).forEach((c) => chatIds.add(c.id));
  if (wanted("OutboxMessage")) add(await db.outboxMessage.findMany({ where: { createdAt: inWindow, chat: { kind: "private" } }, select: { chatId: true }, distinct: ["chatId"] }));
  if (wanted("TipDraft")) add(await db.tipDraft.findMany({ where: { updatedAt: inWindow }, select: { chatId: true } }));
  if (wanted("Subscription")) add(await db.subscription.findMany({ where: { OR: [{ createdAt: inWindow }, { updatedAt: inWindow }] }, select: { chatId: true } }));
  if (wanted("ConsentRecord")) add(await db.consentRecord.findMany({ where: { at: inWindow }, select: { chatId: true }, distinct: ["chatId"] }));
  const tips: Record<string, Record<string, number>> = {};
  const openRef = (sealed: string) => {
    try {
      chatIds.add(sealer.open(sealed, "tip-reply-ref"));
    } catch {
      // sealed with a retired key or erased: that person cannot be reached
    }
  };
  if (wanted("Tip")) {
    for (let after = ""; ; ) {
      const batch = await db.tip.findMany({
        where: { id: { gt: after }, OR: [{ receivedAt: inWindow }, { updatedAt: inWindow }] },
        select: { id: true, channel: true, identityMode: true, replyRefSealed: true },
        orderBy: { id: "asc" },
        take: 500,
      });
      for (const t of batch) {
        (tips[t.channel] ??= {})[t.identityMode] = (tips[t.channel]![t.identityMode] ?? 0) + 1;
        openRef(t.replyRefSealed);
      }
      if (batch.length < 500) break;
      after = batch[batch.length - 1]!.id;
    }
  }
  if (wanted("LegalQuestion")) (await db.legalQuestion.findMany({ where: { createdAt: inWindow }, select: { replyRefSealed: true } })).forEach((q) => openRef(q.replyRefSealed));

  const residents: Record<string, number> = {};
  const recipients: string[] = [];
  const ids = [...chatIds];
  for (let i = 0; i < ids.length; i += 500) {
    for (const chat of await db.chat.findMany({ where: { id: { in: ids.slice(i, i + 500) }, kind: "private" }, select: { id: true, channel: true } })) {
      residents[chat.channel] = (residents[chat.channel] ?? 0) + 1;
      recipients.push(chat.id);
    }
  }
  return { from, to, tables, audit, residents, tips, recipients };
}

type Lang = "vi" | "en";
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const FILL = "[…]";

/** The report as Markdown (Vietnamese, then English): tables, audit actions, residents by channel. */
export function breachReportMarkdown(r: BreachReport): string {
  const lines: string[] = [];
  for (const lang of ["vi", "en"] as Lang[]) {
    const vi = lang === "vi";
    lines.push(vi ? `# Báo cáo sự cố dữ liệu cá nhân` : `# Personal data breach report`, "");
    lines.push(`${vi ? "Khoảng thời gian" : "Window"}: ${r.from.toISOString()} → ${r.to.toISOString()}`, "");
    lines.push(vi ? "## Bảng dữ liệu có bản ghi trong khoảng thời gian" : "## Tables with records written in the window", "");
    lines.push(vi ? "| bảng | chủ thể | số bản ghi | loại dữ liệu | nội dung |" : "| table | subjects | rows | data classes | what |", "|---|---|---|---|---|");
    for (const t of r.tables) lines.push(`| \`${t.model}\` | ${t.subjects} | ${t.rows} | ${t.classes.map((c) => FIELD_CLASSES[c][lang]).join(", ")} | ${t.what[lang]} |`);
    lines.push("", vi ? "## Nhật ký (số sự kiện theo hành động)" : "## Audit log (events per action)", "");
    for (const a of r.audit) lines.push(`- \`${a.action}\`: ${a.count}`);
    if (!r.audit.length) lines.push(vi ? "- (không có)" : "- (none)");
    lines.push("", vi ? "## Người dân liên quan (theo kênh)" : "## Residents concerned (by channel)", "");
    for (const [channel, n] of Object.entries(r.residents)) lines.push(`- ${channel}: ${n}`);
    lines.push(`- ${vi ? "tổng" : "total"}: ${sum(r.residents)}`);
    lines.push("", vi ? "## Tin báo liên quan (theo kênh và chế độ danh tính)" : "## Tips concerned (by channel and identity mode)", "");
    for (const [channel, modes] of Object.entries(r.tips)) lines.push(`- ${channel}: ${Object.entries(modes).map(([m, n]) => `${m} ${n}`).join(", ")}`);
    if (!Object.keys(r.tips).length) lines.push(vi ? "- (không có)" : "- (none)");
    lines.push("");
  }
  return lines.join("\n");
}

/** Draft notice to the authority (A05, Ministry of Public Security) within 72 hours (Law 91/2025, Decree 356/2025), vi then en. */
export function authorityNoticeMarkdown(r: BreachReport, now = new Date()): string {
  const people = sum(r.residents);
  const records = r.tables.reduce((a, t) => a + t.rows, 0);
  const cats = (lang: Lang) => [...new Set(r.tables.flatMap((t) => t.classes.map((c) => FIELD_CLASSES[c][lang])))].join(", ") || FILL;
  const deadline = new Date(now.getTime() + 72 * 3_600_000).toISOString();
  return [
    "# THÔNG BÁO VI PHẠM QUY ĐỊNH VỀ BẢO VỆ DỮ LIỆU CÁ NHÂN",
    "",
    "Kính gửi: Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05), Bộ Công an.",
    "",
    `(Gửi trong vòng 72 giờ kể từ khi phát hiện — hạn chót dự kiến: ${deadline}.)`,
    "",
    `1. Bên kiểm soát dữ liệu: ${FILL} (đơn vị vận hành Tai Mắt); người liên hệ: ${FILL}; điện thoại: ${FILL}.`,
    `2. Thời điểm phát hiện: ${FILL}. Khoảng thời gian có thể bị ảnh hưởng: ${r.from.toISOString()} → ${r.to.toISOString()}.`,
    `3. Mô tả sự việc: ${FILL}.`,
    `4. Loại dữ liệu cá nhân liên quan: ${cats("vi")}. Dữ liệu nhạy cảm (nội dung tố giác, vị trí) ${r.tables.some((t) => t.classes.includes("s")) ? "có" : "không"} liên quan.`,
    `5. Số chủ thể dữ liệu ước tính: ${people}; số bản ghi ước tính: ${records}.`,
    `6. Hậu quả có thể xảy ra: ${FILL} (ví dụ: lộ danh tính người tố giác; họ tên, số điện thoại được niêm phong AES-256-GCM và chỉ đọc được khi lộ cả khoá).`,
    `7. Biện pháp đã thực hiện: ${FILL} (ví dụ: xoay vòng khoá niêm phong \`keys:rotate\`, thu hồi mã truy cập, đổi mã bot).`,
    `8. Biện pháp đề xuất: ${FILL}.`,
    "",
    "---",
    "",
    "# NOTICE OF A PERSONAL DATA PROTECTION BREACH",
    "",
    "To: Department of Cyber Security and High-Tech Crime Prevention (A05), Ministry of Public Security.",
    "",
    `(Sent within 72 hours of discovery — expected deadline: ${deadline}.)`,
    "",
    `1. Controller: ${FILL} (operator of Tai Mắt); contact person: ${FILL}; phone: ${FILL}.`,
    `2. Discovered at: ${FILL}. Window possibly affected: ${r.from.toISOString()} → ${r.to.toISOString()}.`,
    `3. What happened: ${FILL}.`,
    `4. Personal data concerned: ${cats("en")}. Sensitive data (crime reports, location) ${r.tables.some((t) => t.classes.includes("s")) ? "is" : "is not"} concerned.`,
    `5. Estimated data subjects: ${people}; estimated records: ${records}.`,
    `6. Likely consequences: ${FILL} (e.g. a tipster's identity revealed; names and phones are sealed with AES-256-GCM and readable only if the key leaked too).`,
    `7. Measures taken: ${FILL} (e.g. sealing keys rotated with \`keys:rotate\`, access revoked, bot tokens changed).`,
    `8. Measures proposed: ${FILL}.`,
    "",
  ].join("\n");
}

/** Draft notice to the residents concerned, vi then en (split at the `<!-- en -->` marker by `breach:notify`). */
export function residentNoticeMarkdown(): string {
  return [
    "<!-- vi -->",
    `Tai Mắt thông báo: trong khoảng thời gian ${FILL}, một sự cố có thể đã làm lộ một phần dữ liệu liên quan tới cuộc trò chuyện của bạn với Tai Mắt (${FILL}). Chúng tôi đã ${FILL}. Bạn nên ${FILL}. Bạn có thể gõ «xem dữ liệu của tôi» để biết chúng tôi lưu gì, hoặc «xoá dữ liệu của tôi». Liên hệ: ${FILL}.`,
    "<!-- en -->",
    `Tai Mắt notice: between ${FILL}, an incident may have exposed part of the data about your chat with Tai Mắt (${FILL}). We have ${FILL}. We advise you to ${FILL}. Type “my data” to see what we hold, or “delete my data”. Contact: ${FILL}.`,
    "",
  ].join("\n");
}
