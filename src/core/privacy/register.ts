import type { SchemaModel } from "../../db/schemaModels.ts";
import { SEALED_COLUMNS } from "../../security/sealedColumns.ts";
import { ANNOTATIONS, FIELD_CLASSES, annotatedFields, type Bilingual, type FieldClass, type ModelAnnotation } from "./annotations.ts";
import { DATA_REQUEST_LIMITS } from "./dataRequests.ts";
import { RETENTION_RULES } from "./retentionRules.ts";

type Lang = "vi" | "en";

/** Where the annotations and the schema disagree: models or columns missing from either side. */
export function annotationProblems(models: SchemaModel[], annotations: Record<string, ModelAnnotation> = ANNOTATIONS): string[] {
  const problems: string[] = [];
  for (const model of models) {
    const a = annotations[model.name];
    if (!a) {
      problems.push(`model ${model.name} has no annotation`);
      continue;
    }
    const fields = annotatedFields(a);
    for (const f of model.fields) {
      const cls = fields.get(f.name);
      if (!cls) problems.push(`${model.name}.${f.name} has no annotation`);
      else if (!(cls in FIELD_CLASSES)) problems.push(`${model.name}.${f.name}: unknown class "${cls}"`);
    }
    for (const name of fields.keys()) if (!model.fields.some((f) => f.name === name)) problems.push(`${model.name}.${name} is annotated but not in the schema`);
  }
  for (const name of Object.keys(annotations)) if (!models.some((m) => m.name === name)) problems.push(`model ${name} is annotated but not in the schema`);
  for (const c of SEALED_COLUMNS) {
    if (annotations[c.model] && annotatedFields(annotations[c.model]!).get(c.field) !== "x" && !c.embedded) problems.push(`${c.model}.${c.field} is sealed: class it "x"`);
  }
  return problems;
}

const TEXT = {
  title: { vi: "Sổ đăng ký hoạt động xử lý dữ liệu cá nhân và tóm tắt đánh giá tác động", en: "Record of personal data processing and impact assessment summary" },
  generated: {
    vi: "Tệp này được sinh từ `prisma/schema.prisma` và `src/core/privacy/annotations.ts` bởi `npm run docs:privacy`; đừng sửa tay.",
    en: "Generated from `prisma/schema.prisma` and `src/core/privacy/annotations.ts` by `npm run docs:privacy`; do not edit by hand.",
  },
  controller: { vi: "Bên kiểm soát và mục đích", en: "Controller and purposes" },
  controllerText: {
    vi: "Bên kiểm soát dữ liệu là cơ quan công an vận hành Tai Mắt. Dữ liệu được xử lý để tiếp nhận tố giác, tin báo về tội phạm, trả lời câu hỏi pháp luật và gửi tin tuyên truyền pháp luật cho người đã đồng ý. Nội dung tin báo và vị trí là dữ liệu cá nhân nhạy cảm (Nghị định 356/2025/NĐ-CP, Điều 4).",
    en: "The controller is the police body operating Tai Mắt. Data is processed to receive reports of crimes, answer legal questions, and send legal awareness messages to people who consented. Report content and location are sensitive personal data (Decree 356/2025/NĐ-CP, Art. 4).",
  },
  dpia: { vi: "Tóm tắt đánh giá tác động xử lý dữ liệu cá nhân", en: "Data protection impact assessment (summary)" },
  dpiaRows: [
    {
      vi: "**Rủi ro chính**: lộ danh tính người báo tin (bị trả thù); lộ nội dung tin báo; một người cầm điện thoại của người báo tin biết họ đã báo tin; lạm quyền của cán bộ.",
      en: "**Main risks**: a tipster's identity revealed (retaliation); report content disclosed; someone holding a tipster's phone learning they reported; staff exceeding their rights.",
    },
    {
      vi: "**Biện pháp**: tin ẩn danh không lưu định danh nào; họ tên, số điện thoại và tham chiếu trả lời được niêm phong (AES-256-GCM, khoá xoay vòng được: `keys:rotate`); mã PIN chỉ lưu dạng băm scrypt đã niêm phong (không có khoá thì không thể thử đoán); nội dung thô cập nhật xoá khi xử lý xong; mỗi thao tác trên tin báo kiểm tra vai trò và phạm vi, ghi nhật ký trong cùng giao dịch; «mở liên hệ» chỉ cho chỉ huy, có lý do.",
      en: "**Measures**: anonymous tips store no identifier; name, phone and reply reference are sealed (AES-256-GCM, rotatable keys: `keys:rotate`); PINs kept only as sealed scrypt hashes (no guess can be tested without the key); raw updates cleared once processed; every tip action checks role and scope and is audited in the same transaction; “open contact” for commanders only, with a reason.",
    },
    {
      vi: "**Tối thiểu hoá, lưu giữ**: các quy tắc lưu giữ dưới đây được áp dụng hằng ngày (`RETENTION_SCHEDULE`), có báo cáo; tin báo đã gửi là hồ sơ công an và không bị dịch vụ xoá.",
      en: "**Minimisation, retention**: the retention rules below are applied daily (`RETENTION_SCHEDULE`) with a report; a submitted tip is a police record and is never deleted by the service.",
    },
    {
      vi: "**Quyền của chủ thể**: «xem dữ liệu của tôi», «xoá dữ liệu của tôi» trên mọi kênh, trả lời ngay; xác nhận trong {{ack}} ngày làm việc, truy cập trong {{access}} ngày, xoá trong {{deletion}} ngày; theo dõi bằng `dsr:list`.",
      en: "**Data subjects' rights**: “my data” and “delete my data” on every channel, answered at once; acknowledged within {{ack}} working days, access within {{access}} days, deletion within {{deletion}} days; followed with `dsr:list`.",
    },
    {
      vi: "**Sự cố**: `breach:report` liệt kê loại dữ liệu và số người bị ảnh hưởng, soạn thông báo 72 giờ gửi A05 (Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao) và gửi người dân.",
      en: "**Breaches**: `breach:report` lists the data categories and the number of residents affected and drafts the 72-hour notices to A05 (Department of Cyber Security and High-Tech Crime Prevention) and to residents.",
    },
    {
      vi: "**Rủi ro còn lại**: nền tảng (Telegram, Zalo) biết ai đã nhắn cho bot; người giữ khoá niêm phong có thể mở liên hệ; ảnh và nội dung có thể tự chứa thông tin định danh.",
      en: "**Residual risks**: the platforms (Telegram, Zalo) know who wrote to the bot; whoever holds the sealing key can open contacts; photos and text may themselves identify their author.",
    },
  ],
  rules: { vi: "Quy tắc lưu giữ", en: "Retention rules" },
  ruleHead: { vi: "| quy tắc | biến cấu hình | mặc định | áp dụng cho | lý do |", en: "| rule | variable | default | applies to | why |" },
  tables: { vi: "Từng bảng dữ liệu", en: "Tables" },
  row: {
    subjects: { vi: "Chủ thể", en: "Data subjects" },
    kept: { vi: "Lưu gì", en: "What is kept" },
    purpose: { vi: "Mục đích", en: "Purpose" },
    basis: { vi: "Căn cứ pháp lý", en: "Legal basis" },
    retention: { vi: "Thời hạn lưu", en: "Retention" },
    access: { vi: "Ai được xem", en: "Who can see it" },
    fields: { vi: "Cột", en: "Columns" },
  },
  subjects: {
    none: { vi: "không có", en: "none" },
    residents: { vi: "người dân", en: "residents" },
    tipsters: { vi: "người báo tin", en: "tipsters" },
    staff: { vi: "cán bộ", en: "staff" },
  },
  hours: { vi: "giờ", en: "hours" },
  days: { vi: "ngày", en: "days" },
  rule: { vi: "quy tắc", en: "rule" },
} as const;

const CLASS_ORDER: FieldClass[] = ["s", "x", "i", "p", "h", "f", "o", "r", "t"];
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function retentionText(a: ModelAnnotation, lang: Lang): string {
  if (!Array.isArray(a.retention)) return a.retention[lang];
  return a.retention
    .map((name) => {
      const r = RETENTION_RULES.find((x) => x.name === name)!;
      return `${TEXT.rule[lang]} \`${r.name}\` (\`${r.env}\`, ${r.default} ${TEXT[r.unit][lang]})`;
    })
    .join("; ");
}

function section(models: SchemaModel[], lang: Lang): string[] {
  const out: string[] = [];
  const fill = (s: string) => s.replace("{{ack}}", String(DATA_REQUEST_LIMITS.ackWorkingDays)).replace("{{access}}", String(DATA_REQUEST_LIMITS.accessDays)).replace("{{deletion}}", String(DATA_REQUEST_LIMITS.deletionDays));
  out.push(`### ${TEXT.controller[lang]}`, "", TEXT.controllerText[lang], "");
  out.push(`### ${TEXT.dpia[lang]}`, "", ...TEXT.dpiaRows.map((r: Bilingual) => `- ${fill(r[lang])}`), "");
  out.push(`### ${TEXT.rules[lang]}`, "", TEXT.ruleHead[lang], "|---|---|---|---|---|");
  for (const r of RETENTION_RULES) out.push(`| \`${r.name}\` | \`${r.env}\` | ${r.default} ${TEXT[r.unit][lang]} | ${cell(r.what[lang])} | ${cell(r.why[lang])} |`);
  out.push("", `### ${TEXT.tables[lang]}`, "");
  for (const model of models) {
    const a = ANNOTATIONS[model.name]!;
    const fields = annotatedFields(a);
    out.push(`#### \`${model.name}\``, "", `| | |`, `|---|---|`);
    out.push(`| ${TEXT.row.subjects[lang]} | ${TEXT.subjects[a.subjects][lang]} |`);
    out.push(`| ${TEXT.row.kept[lang]} | ${cell(a.kept[lang])} |`);
    out.push(`| ${TEXT.row.purpose[lang]} | ${cell(a.purpose[lang])} |`);
    out.push(`| ${TEXT.row.basis[lang]} | ${cell(a.legalBasis[lang])} |`);
    out.push(`| ${TEXT.row.retention[lang]} | ${cell(retentionText(a, lang))} |`);
    out.push(`| ${TEXT.row.access[lang]} | ${cell(a.access[lang])} |`);
    const groups = CLASS_ORDER.map((cls) => [cls, model.fields.filter((f) => fields.get(f.name) === cls).map((f) => `\`${f.name}\``)] as const).filter(([, names]) => names.length);
    out.push(`| ${TEXT.row.fields[lang]} | ${groups.map(([cls, names]) => `${FIELD_CLASSES[cls][lang]}: ${names.join(", ")}`).join("<br>")} |`, "");
  }
  return out;
}

/** The register (Vietnamese, then English), generated from the schema's models and the annotations. */
export function renderRegister(models: SchemaModel[]): string {
  const problems = annotationProblems(models);
  if (problems.length) throw new Error(`the privacy annotations do not match the schema:\n  ${problems.join("\n  ")}`);
  const lines = [`# ${TEXT.title.vi} / ${TEXT.title.en}`, "", `> ${TEXT.generated.vi}`, `> ${TEXT.generated.en}`, "", "## Tiếng Việt", "", ...section(models, "vi"), "## English", "", ...section(models, "en")];
  return lines.join("\n").replace(/\n+$/, "\n");
}
