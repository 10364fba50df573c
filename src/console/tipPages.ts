import type { ActionId } from "../core/actions/catalog.ts";
import { CLASSIFICATIONS } from "../core/tips/commands/classify.ts";
import { OUTCOMES } from "../core/tips/commands/close.ts";
import { PRIORITY_VALUES } from "../core/tips/commands/priority.ts";
import { WHEN_CODES } from "../core/tips/categories.ts";
import type { TipView } from "../core/console/tipView.ts";
import { formatVnDate, formatVnDateTime } from "../core/vnTime.ts";
import { resolveParams } from "../channels/compose.ts";
import { esc, layout, notice, type PageContext } from "./pages.ts";

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, key, params));

/** The verbs of the tip page's action forms (`/console/tips/:id/do/:verb`), one per row of the action table. */
export const TIP_VERBS: Readonly<Record<string, ActionId>> = {
  claim: "tip.claim",
  release: "tip.release",
  ask: "tip.ask",
  note: "tip.note",
  priority: "tip.priority",
  transfer: "tip.transfer",
  classify: "tip.classify",
  close: "tip.close",
  extend: "tip.extend",
  open_contact: "tip.open_contact",
  reopen: "tip.reopen",
};
const VERB_OF = new Map(Object.entries(TIP_VERBS).map(([verb, id]) => [id, verb]));

/** A message above the page: what was done, why an action was refused, or the opened contact. */
export type TipMessage = { text: string; kind: "status" | "alert" };

/** A unit a tip may be transferred to (offered in the transfer form's list). */
export interface TransferTarget {
  id: string;
  name: string;
}

/** Text the tipster or an officer wrote: escaped, line breaks kept by the style sheet. */
const written = (text: string) => `<p class="written">${esc(text)}</p>`;

function row(c: PageContext, label: string, value: string): string {
  return `<div><dt>${tr(c, label)}</dt><dd>${value}</dd></div>`;
}

function content(c: PageContext, v: TipView): string {
  const rows: string[] = [];
  rows.push(row(c, "console_tip:field.category", tr(c, `tip:category.${v.category}`)));
  rows.push(row(c, "console_tip:field.status", tr(c, `console_tip:status.${v.status}`) + (v.holder ? ` · ${esc(v.holder)}` : "")));
  rows.push(row(c, "console_tip:field.unit", esc(v.unit.name)));
  if (v.classification) rows.push(row(c, "console_tip:field.classification", tr(c, `officer:classification.${v.classification}`) + (v.duplicateOf ? ` (${esc(v.duplicateOf)})` : "")));
  if (v.outcome) rows.push(row(c, "console_tip:field.outcome", tr(c, `officer:outcome.${v.outcome}`)));
  rows.push(row(c, "console_tip:field.channel", `${esc({ telegram: "Telegram", zalo: "Zalo", web: "Web" }[v.channel] ?? v.channel)} · ${tr(c, `tip:identity.${v.identityMode}`)}`));
  rows.push(row(c, "console_tip:field.received", esc(formatVnDateTime(v.receivedAt))));
  const place = v.place.commune ? `${esc(v.place.commune)}, ${esc(v.place.province ?? "")}` : tr(c, "console_tip:place_province_only", { province: v.place.province ?? "" });
  rows.push(row(c, "console_tip:field.place", place));
  if (v.place.text) rows.push(row(c, "console_tip:field.place_typed", written(v.place.text)));
  if (v.place.latitude !== null && v.place.longitude !== null) rows.push(row(c, "console_tip:field.place_point", esc(`${v.place.latitude.toFixed(5)}, ${v.place.longitude.toFixed(5)}`)));
  rows.push(row(c, "console_tip:field.when", (WHEN_CODES as readonly string[]).includes(v.occurredWhen) ? tr(c, `tip:when.${v.occurredWhen}`) : esc(v.occurredWhen)));
  if (v.details.text) rows.push(row(c, "console_tip:field.details", written(v.details.text)));
  for (const kind of ["phones", "accounts", "links"] as const) {
    const list = v.details[kind];
    if (Array.isArray(list) && list.length) rows.push(row(c, `console_tip:field.${kind}`, list.map((x) => `<span class="code">${esc(String(x))}</span>`).join(", ")));
  }
  rows.push(row(c, "console_tip:field.description", v.description.trim() ? written(v.description) : tr(c, "console_tip:none")));
  return `<section aria-labelledby="h-content"><h2 id="h-content">${tr(c, "console_tip:content")}</h2><dl class="fields">${rows.join("")}</dl></section>`;
}

function media(c: PageContext, v: TipView): string {
  if (!v.attachments.length) return "";
  const items = v.attachments.map((a, i) => {
    const src = `/console/tips/${encodeURIComponent(v.id)}/media/${a.id}`;
    const label = c.t(c.lang, "console_tip:media_label", { n: i + 1, total: v.attachments.length, what: c.t(c.lang, `tip:media.${a.kind}`) });
    const caption = `<figcaption>${esc(label)}${a.caption ? `: ${esc(a.caption)}` : ""} · <a href="${esc(src)}">${tr(c, "console_tip:media_open")}</a></figcaption>`;
    const shown =
      a.kind === "photo"
        ? `<img src="${esc(src)}" alt="${esc(a.caption ?? label)}" loading="lazy">`
        : a.kind === "video"
          ? `<video controls preload="none" src="${esc(src)}" aria-label="${esc(label)}"></video>`
          : a.kind === "voice" || a.kind === "audio"
            ? `<audio controls preload="none" src="${esc(src)}" aria-label="${esc(label)}"></audio>`
            : "";
    return `<figure data-attachment="${a.id}">${shown}${caption}</figure>`;
  });
  return `<section aria-labelledby="h-media"><h2 id="h-media">${tr(c, "console_tip:media")} (${v.attachments.length})</h2><div class="media">${items.join("")}</div></section>`;
}

function clock(c: PageContext, v: TipView): string {
  const badge = (kind: string) => {
    const p = v.clock.pending.find((d) => d.kind === kind);
    if (!p) return "";
    return ` <span class="badge ${p.state}">${tr(c, `console:queue.badge.${p.state}`)}</span>`;
  };
  const lines: string[] = [];
  const receipt = v.clock.receiptNoticeSentAt
    ? tr(c, "console_tip:clock.sent", { date: formatVnDateTime(v.clock.receiptNoticeSentAt), due: formatVnDateTime(v.clock.receiptNoticeDue) })
    : esc(formatVnDateTime(v.clock.receiptNoticeDue)) + badge("receipt_notice");
  lines.push(`<tr><th scope="row">${tr(c, "console:queue.deadline.receipt_notice")}</th><td>${receipt}</td></tr>`);
  const extension = v.clock.extension === "none" ? "" : ` (${tr(c, `officer:button.extend_${v.clock.extension}`)})`;
  const closed = v.status === "closed" && v.closedAt ? tr(c, "console_tip:clock.decided", { date: formatVnDateTime(v.closedAt) }) + " · " : "";
  lines.push(`<tr><th scope="row">${tr(c, "console:queue.deadline.decision")}</th><td>${closed}${esc(formatVnDate(v.clock.decisionDue))}${extension}${badge("decision")}</td></tr>`);
  if (v.clock.extensionRequestBy && v.status !== "closed") {
    lines.push(`<tr><th scope="row">${tr(c, "console:queue.deadline.extension_request")}</th><td>${esc(formatVnDate(v.clock.extensionRequestBy))}${badge("extension_request")}</td></tr>`);
  }
  return `<section aria-labelledby="h-clock"><h2 id="h-clock">${tr(c, "console_tip:clock.heading")}</h2><p class="note">${tr(c, "console_tip:clock.note")}</p><table class="clock"><tbody>${lines.join("")}</tbody></table></section>`;
}

function thread(c: PageContext, v: TipView): string {
  const items = v.relay.map((r) => {
    const who =
      r.direction === "to_tipster"
        ? tr(c, "console_tip:relay.question", { officer: r.officer ?? "—" })
        : r.direction === "from_tipster"
          ? tr(c, "console_tip:relay.answer")
          : tr(c, "console_tip:relay.addition");
    return `<li class="relay ${esc(r.direction)}"><p class="meta">${who} · <time datetime="${r.at.toISOString()}">${esc(formatVnDateTime(r.at))}</time></p>${written(r.text)}</li>`;
  });
  const waiting = v.awaiting ? `<p class="badge approaching">${tr(c, "console_tip:relay.awaiting")}</p>` : "";
  return `<section aria-labelledby="h-relay"><h2 id="h-relay">${tr(c, "console_tip:relay.heading")}</h2>${waiting}${items.length ? `<ol class="thread">${items.join("")}</ol>` : `<p>${tr(c, "console_tip:none")}</p>`}</section>`;
}

function notes(c: PageContext, v: TipView): string {
  const items = v.notes.map((n) => `<li><p class="meta">${esc(n.officer)} · <time datetime="${n.at.toISOString()}">${esc(formatVnDateTime(n.at))}</time></p>${written(n.text)}</li>`);
  return `<section aria-labelledby="h-notes"><h2 id="h-notes">${tr(c, "console_tip:notes")}</h2>${items.length ? `<ol class="thread">${items.join("")}</ol>` : `<p>${tr(c, "console_tip:none")}</p>`}</section>`;
}

function history(c: PageContext, v: TipView): string {
  const items = v.history.map((h) => {
    const p = resolveParams(c.t, c.lang, { actor: h.actor, action: h.action })!;
    return `<li><time datetime="${h.at.toISOString()}">${esc(formatVnDateTime(h.at))}</time> — ${esc(String(p.actor))}: ${esc(String(p.action))}</li>`;
  });
  return `<section aria-labelledby="h-history"><h2 id="h-history">${tr(c, "console_tip:history")}</h2><ol class="history">${items.join("")}</ol></section>`;
}

/** One action's form: its argument's field (from the action table's argument) and its button. */
function actionForm(c: PageContext, v: TipView, action: ActionId, targets: TransferTarget[]): string {
  const verb = VERB_OF.get(action)!;
  const id = `a-${verb}`;
  const select = (name: string, options: Array<[string, string]>) =>
    `<label for="${id}">${tr(c, `console_tip:action.${verb}_label`)}</label><select id="${id}" name="${name}">${options.map(([value, label]) => `<option value="${esc(value)}">${esc(label)}</option>`).join("")}</select>`;
  const textarea = (name: string, max: number, min = 1) =>
    `<label for="${id}">${tr(c, `console_tip:action.${verb}_label`)}</label><textarea id="${id}" name="${name}" rows="3" minlength="${min}" maxlength="${max}" required></textarea>`;
  let field = "";
  switch (action) {
    case "tip.close":
      field = select("outcome", OUTCOMES.map((o) => [o, c.t(c.lang, `officer:outcome.${o}`)]));
      break;
    case "tip.priority":
      field = select(
        "value",
        PRIORITY_VALUES.filter((p) => (v.lifeSafety ? p !== "life_on" : p !== "life_off")).map((p) => [
          p,
          c.t(c.lang, p === "normal" ? "officer:button.priority_normal" : p === "high" ? "officer:button.priority_high" : `officer:button.life_safety_${p === "life_on" ? "on" : "off"}`),
        ]),
      );
      break;
    case "tip.classify":
      field = select("value", CLASSIFICATIONS.filter((x) => x !== "duplicate").map((x) => [x, c.t(c.lang, `officer:classification.${x}`)]));
      break;
    case "tip.extend":
      field = select("value", [
        ["two_months", c.t(c.lang, "officer:button.extend_two_months")],
        ["procuracy", c.t(c.lang, "officer:button.extend_procuracy")],
      ]);
      break;
    case "tip.transfer":
      field = `<label for="${id}">${tr(c, "console_tip:action.transfer_label")}</label><input id="${id}" name="queue" list="${id}-units" required maxlength="64" autocomplete="off"><datalist id="${id}-units">${targets
        .filter((q) => q.id !== v.unit.id)
        .map((q) => `<option value="${esc(q.id)}">${esc(q.name)}</option>`)
        .join("")}</datalist>`;
      break;
    case "tip.ask":
      field = textarea("text", 3000);
      break;
    case "tip.note":
      field = textarea("text", 3000);
      break;
    case "tip.open_contact":
      field = `${textarea("reason", 1000, 5)}<p class="note">${tr(c, "console_tip:action.open_contact_note")}</p>`;
      break;
    default:
      field = "";
  }
  return `<form method="post" action="/console/tips/${esc(encodeURIComponent(v.id))}/do/${verb}" class="action" data-action="${verb}"><input type="hidden" name="csrf" value="${esc(c.csrf ?? "")}">${field}<button type="submit">${tr(c, `console_tip:action.${verb}`)}</button></form>`;
}

function actions(c: PageContext, v: TipView, targets: TransferTarget[]): string {
  const forms = v.actions.map((a) => actionForm(c, v, a, targets));
  return `<section aria-labelledby="h-actions"><h2 id="h-actions">${tr(c, "console_tip:actions")}</h2>${forms.length ? `<div class="actions">${forms.join("")}</div>` : `<p>${tr(c, "console_tip:no_actions")}</p>`}</section>`;
}

/**
 * A tip's page: content and media, the legal clock with at-risk / breached badges, the relay thread
 * with the tipster, officers' notes, the history, and a form for every action the action table
 * allows this person now. Never the tipster's identity (a contact opened by a commander is only in
 * the `message` of that one response).
 */
export function tipPage(c: PageContext, v: TipView, opts: { message?: TipMessage; targets?: TransferTarget[] } = {}): string {
  const badges = [
    v.lifeSafety ? `<span class="badge life">⚠ ${tr(c, "console:queue.life_safety")}</span>` : "",
    v.priority === "high" ? `<span class="badge approaching">${tr(c, "officer:button.priority_high")}</span>` : "",
    v.clock.pending.some((d) => d.state === "overdue") ? `<span class="badge overdue">${tr(c, "console_tip:breached")}</span>` : "",
  ].filter(Boolean);
  return layout(
    c,
    c.t(c.lang, "console_tip:title", { code: v.code }),
    `<p><a href="/console/queue">← ${tr(c, "console_tip:back")}</a></p>
<h1>${tr(c, "console_tip:title", { code: v.code })} ${badges.join(" ")}</h1>
${opts.message ? notice(opts.message.text, opts.message.kind) : ""}
<div class="tip">
<div class="main">${content(c, v)}${media(c, v)}${thread(c, v)}${notes(c, v)}${history(c, v)}</div>
<div class="side">${clock(c, v)}${actions(c, v, opts.targets ?? [])}</div>
</div>`,
  );
}

/** A tip page that cannot be shown (no such tip or file, a bad address, the platform unreachable): the translated reason. */
export function tipErrorPage(c: PageContext, key: string): string {
  return layout(c, c.t(c.lang, "console_tip:error_title"), `<h1>${tr(c, "console_tip:error_title")}</h1>${notice(c.t(c.lang, key), "alert")}<p><a href="/console/queue">${tr(c, "console_tip:back")}</a></p>`);
}
