/**
 * Retention rules (Law 91/2025/QH15: data kept no longer than its purpose needs). Each rule has a
 * configuration variable (src/config.ts validates it), a default, and the reason for that default;
 * the processing register (docs/processing-register.md) is generated from this list.
 */
export interface RetentionRuleInfo {
  /** Rule name in reports and audit events. */
  name: RetentionRuleName;
  /** The environment variable setting it. */
  env: string;
  unit: "hours" | "days";
  default: number;
  /** What the rule removes, and why the default (vi, en). */
  what: { vi: string; en: string };
  why: { vi: string; en: string };
}

export type RetentionRuleName =
  | "drafts"
  | "inbox"
  | "inbox_parked"
  | "uploads"
  | "closed_tip_contacts"
  | "ended_subscriptions"
  | "audit"
  | "legal_questions"
  | "outbox"
  | "one_time_codes";

/** Every retention rule, in the order the daily job applies them. */
export const RETENTION_RULES: readonly RetentionRuleInfo[] = [
  {
    name: "drafts",
    env: "RETENTION_DRAFTS_HOURS",
    unit: "hours",
    default: 24,
    what: { vi: "Bản nháp tin báo chưa gửi, không ai chạm tới", en: "Unsent tip drafts left untouched" },
    why: {
      vi: "Người dân được báo rằng bản nháp bị bỏ sau 24 giờ; bản nháp chưa gửi không phải là tin báo và có thể chứa nội dung nhạy cảm.",
      en: "Residents are told a draft is dropped after 24 hours; an unsent draft is not a report and may hold sensitive content.",
    },
  },
  {
    name: "inbox",
    env: "RETENTION_INBOX_DAYS",
    unit: "days",
    default: 7,
    what: { vi: "Bản ghi cập nhật đã xử lý (khoá chống trùng lặp; nội dung đã xoá ngay khi xử lý)", en: "Processed update rows (deduplication keys; their content is cleared as soon as processed)" },
    why: {
      vi: "Nền tảng chỉ gửi lại một cập nhật trong vòng 24 giờ; 7 ngày đủ để chống trùng lặp và điều tra sự cố.",
      en: "Platforms redeliver an update within 24 hours at most; 7 days cover deduplication and incident investigation.",
    },
  },
  {
    name: "inbox_parked",
    env: "RETENTION_INBOX_PARKED_DAYS",
    unit: "days",
    default: 30,
    what: { vi: "Cập nhật bị dừng xử lý (còn nguyên nội dung để quản trị viên xem)", en: "Parked updates (content kept for an administrator to inspect)" },
    why: {
      vi: "Quản trị viên có một tháng để xử lý lại; sau đó nội dung thô (có thể định danh người gửi) bị xoá.",
      en: "Administrators have a month to retry them; after that the raw content (which can identify the sender) goes.",
    },
  },
  {
    name: "uploads",
    env: "RETENTION_UPLOADS_HOURS",
    unit: "hours",
    default: 48,
    what: { vi: "Ảnh tải lên từ web chat không gắn với tin báo, bản nháp hay cập nhật đang chờ", en: "Web chat photos attached to no tip, draft or pending update" },
    why: {
      vi: "Đủ thời gian để hoàn tất bản nháp (24 giờ) cộng một ngày dự phòng; ảnh đã gắn vào tin báo được giữ cùng hồ sơ tin báo.",
      en: "Time to finish a draft (24 hours) plus a day's margin; photos attached to a tip are kept with the tip's record.",
    },
  },
  {
    name: "closed_tip_contacts",
    env: "RETENTION_CLOSED_TIP_CONTACT_DAYS",
    unit: "days",
    default: 180,
    what: { vi: "Họ tên và số điện thoại (đã niêm phong) của người báo tin, sau khi tin báo đã đóng", en: "A tipster's sealed name and phone, once the tip is closed" },
    why: {
      vi: "Thời hiệu khiếu nại quyết định là 90 ngày (Luật Khiếu nại 2011, Điều 9) cộng thời gian giải quyết; sau đó không còn cần liên hệ, tin báo (hồ sơ công an) vẫn được giữ.",
      en: "A decision can be complained about within 90 days (Law on Complaints 2011, Art. 9) plus time to settle it; after that no contact is needed. The tip itself (a police record) is kept.",
    },
  },
  {
    name: "ended_subscriptions",
    env: "RETENTION_ENDED_SUBSCRIPTIONS_DAYS",
    unit: "days",
    default: 180,
    what: { vi: "Đăng ký nhận tin đã dừng và lịch sử đồng ý của nó", en: "Stopped news subscriptions and their consent history" },
    why: {
      vi: "Bằng chứng về sự đồng ý và việc rút lại đồng ý (Luật 91/2025) được giữ 6 tháng để giải quyết khiếu nại, sau đó xoá.",
      en: "Proof of consent and of its withdrawal (Law 91/2025) is kept six months for complaints, then deleted.",
    },
  },
  {
    name: "audit",
    env: "RETENTION_AUDIT_DAYS",
    unit: "days",
    default: 730,
    what: { vi: "Sự kiện nhật ký không gắn với tin báo (từ chối quyền, yêu cầu dữ liệu, báo cáo lưu giữ…)", en: "Audit events not attached to a tip (refusals, data requests, retention reports…)" },
    why: {
      vi: "Hai năm đủ để điều tra một vụ lộ lọt và chứng minh việc tuân thủ; nhật ký của một tin báo là một phần hồ sơ tin báo và được giữ cùng nó.",
      en: "Two years cover a breach investigation and proof of compliance; a tip's own audit trail is part of its record and kept with it.",
    },
  },
  {
    name: "legal_questions",
    env: "RETENTION_LEGAL_QUESTIONS_DAYS",
    unit: "days",
    default: 90,
    what: { vi: "Câu hỏi pháp luật gửi cán bộ pháp chế (đã trả lời hoặc bỏ ngỏ)", en: "Questions handed to the legal staff (answered or left open)" },
    why: {
      vi: "Câu trả lời được chuyển ngay; một câu trả lời hữu ích được lưu vào kho kiến thức (không có dữ liệu cá nhân). Ba tháng đủ cho câu hỏi tiếp theo.",
      en: "Answers are relayed at once; a useful one is saved into the knowledge base (no personal data). Three months cover follow-up questions.",
    },
  },
  {
    name: "outbox",
    env: "RETENTION_OUTBOX_DAYS",
    unit: "days",
    default: 30,
    what: { vi: "Tin nhắn đã gửi (hoặc đã bỏ) tới người dân", en: "Messages sent (or given up) to residents" },
    why: {
      vi: "Một tháng để xử lý sự cố gửi tin; tin nhắn trong nhóm cán bộ (thẻ tin báo) là hồ sơ công an và không bị xoá.",
      en: "A month to investigate delivery problems; messages in officers' groups (tip cards) belong to the police record and are not deleted.",
    },
  },
  {
    name: "one_time_codes",
    env: "RETENTION_ONE_TIME_CODES_DAYS",
    unit: "days",
    default: 30,
    what: {
      vi: "Mã một lần đã dùng hoặc hết hạn: mã mời, mã gắn nhóm, đường dẫn/mã đăng nhập và phiên bảng điều khiển đã kết thúc (chỉ lưu băm)",
      en: "One-time codes used or expired: invitations, group bindings, console login links/codes and ended console sessions (hashes only)",
    },
    why: {
      vi: "Một mã đã dùng hay hết hạn không mở được gì nữa; việc đăng nhập và sử dụng đã có trong nhật ký kiểm toán. Một tháng đủ để điều tra sự cố.",
      en: "A used or expired code opens nothing any more; logins and their use are in the audit log. A month covers incident investigation.",
    },
  },
];

/** Configured retention: each rule's period in milliseconds. */
export type RetentionPeriods = Record<RetentionRuleName, number>;

/** A rule's period in milliseconds from its configured value. */
export function periodMs(rule: RetentionRuleInfo, value: number): number {
  return value * (rule.unit === "hours" ? 3_600_000 : 86_400_000);
}

/** The defaults as periods (tests and tools that run without a configuration). */
export function defaultRetention(): RetentionPeriods {
  return Object.fromEntries(RETENTION_RULES.map((r) => [r.name, periodMs(r, r.default)])) as RetentionPeriods;
}
