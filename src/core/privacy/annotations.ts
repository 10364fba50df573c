import type { RetentionRuleName } from "./retentionRules.ts";

/** A text in Vietnamese and English (the register has both sections). */
export interface Bilingual {
  vi: string;
  en: string;
}

/**
 * How a column counts under Law 91/2025 and Decree 356/2025 (crime reports and location are
 * sensitive data, Decree 356 Art. 4):
 * t technical key · o operational state · r reference or public data · f staff data ·
 * i platform identifier of a person · p basic personal data · s sensitive personal data ·
 * x sealed (AES-256-GCM, readable only with the key) · h hash of a secret (not reversible).
 */
export type FieldClass = "t" | "o" | "r" | "f" | "i" | "p" | "s" | "x" | "h";

export const FIELD_CLASSES: Record<FieldClass, Bilingual> = {
  t: { vi: "khoá kỹ thuật", en: "technical key" },
  o: { vi: "trạng thái vận hành", en: "operational state" },
  r: { vi: "dữ liệu tham chiếu / công khai", en: "reference / public data" },
  f: { vi: "dữ liệu cán bộ", en: "staff data" },
  i: { vi: "định danh trên nền tảng (dữ liệu cá nhân)", en: "platform identifier (personal data)" },
  p: { vi: "dữ liệu cá nhân cơ bản", en: "basic personal data" },
  s: { vi: "dữ liệu cá nhân nhạy cảm", en: "sensitive personal data" },
  x: { vi: "đã niêm phong (mã hoá AES-256-GCM)", en: "sealed (AES-256-GCM)" },
  h: { vi: "băm của bí mật (không đảo ngược)", en: "hash of a secret (irreversible)" },
};

/** Whose data a table holds. */
export type Subjects = "none" | "residents" | "tipsters" | "staff";

/** What the register says about one table. */
export interface ModelAnnotation {
  subjects: Subjects;
  /** What is kept, and why. */
  kept: Bilingual;
  purpose: Bilingual;
  legalBasis: Bilingual;
  /** Retention: rules from retentionRules.ts, or a sentence. */
  retention: RetentionRuleName[] | Bilingual;
  /** Who can see it. */
  access: Bilingual;
  /** Every scalar column, "name:class" separated by spaces (see FieldClass). */
  fields: string;
}

const BASIS = {
  none: { vi: "Không có dữ liệu cá nhân", en: "No personal data" },
  crime: {
    vi: "Tiếp nhận, giải quyết tố giác, tin báo về tội phạm (Bộ luật Tố tụng hình sự 2015, Điều 144–147); xử lý không cần sự đồng ý để phòng, chống tội phạm (Luật 91/2025/QH15)",
    en: "Receiving and handling reports of crimes (Criminal Procedure Code 2015, Art. 144–147); processing without consent for preventing and combating crime (Law 91/2025/QH15)",
  },
  consent: { vi: "Sự đồng ý rõ ràng của chủ thể dữ liệu, có thể rút lại bất cứ lúc nào (Luật 91/2025/QH15)", en: "The data subject's explicit consent, withdrawable at any time (Law 91/2025/QH15)" },
  request: {
    vi: "Cần thiết để trả lời yêu cầu của chính người dân gửi tới kênh họ chọn (Luật 91/2025/QH15)",
    en: "Necessary to answer the resident's own request on the channel they chose (Law 91/2025/QH15)",
  },
  staff: { vi: "Thực hiện nhiệm vụ công vụ được phân công (cán bộ, chiến sĩ)", en: "Performance of assigned official duties (officers and staff)" },
  duty: {
    vi: "Nghĩa vụ của bên kiểm soát dữ liệu: chứng minh tuân thủ, bảo đảm an ninh (Luật 91/2025/QH15, Nghị định 356/2025/NĐ-CP)",
    en: "The controller's duties: demonstrating compliance, security (Law 91/2025/QH15, Decree 356/2025/NĐ-CP)",
  },
} satisfies Record<string, Bilingual>;

const ACCESS = {
  public: { vi: "Mọi người (dữ liệu công khai)", en: "Anyone (public data)" },
  service: { vi: "Chỉ hệ thống; quản trị viên qua dòng lệnh", en: "The service only; administrators through the command line" },
  officers: {
    vi: "Cán bộ, chỉ huy, quản trị viên có phạm vi bao trùm đơn vị của tin báo (kiểm tra vai trò và phạm vi); không bao giờ cán bộ tuyên truyền hay pháp chế",
    en: "Officers, commanders and admins whose scope covers the tip's unit (role and scope checked); never outreach or legal staff",
  },
  sealedContact: {
    vi: "Chỉ chỉ huy/quản trị viên bấm «Mở liên hệ» với lý do (được ghi nhật ký); hệ thống mở tham chiếu trả lời chỉ để chuyển tin",
    en: "Only a commander/admin pressing “open contact” with a reason (audited); the service opens the reply reference only to relay messages",
  },
  legal: { vi: "Cán bộ pháp chế (ẩn danh người hỏi)", en: "Legal staff (the asker stays anonymous)" },
  outreach: { vi: "Cán bộ tuyên truyền (chỉ số liệu tổng hợp, không danh tính)", en: "Outreach staff (aggregate figures only, no identities)" },
  admins: { vi: "Quản trị viên", en: "Administrators" },
} satisfies Record<string, Bilingual>;

const KEEP = {
  forever: { vi: "Dữ liệu tham chiếu: giữ trong suốt thời gian vận hành", en: "Reference data: kept while the service runs" },
  tipRecord: {
    vi: "Hồ sơ tin báo của cơ quan công an: giữ theo quy định lưu trữ hồ sơ nghiệp vụ; dịch vụ này không tự xoá",
    en: "Part of a police tip record: kept under the police's records rules; this service never deletes it",
  },
  staffTenure: { vi: "Trong thời gian cán bộ được phân công; khi thu hồi, giữ để truy vết nhật ký", en: "While the officer is assigned; kept after revocation so the audit trail stays readable" },
  codes: { vi: "Đến khi hết hạn hoặc đã dùng; giữ để truy vết", en: "Until expired or used; kept for the audit trail" },
  rate: { vi: "Cửa sổ đếm ngắn (phút, giờ); bộ đếm trả lời trắc nghiệm 1 năm", en: "Short counting windows (minutes, hours); quiz answer counters 1 year" },
  campaign: { vi: "Trong thời gian chiến dịch được lưu; không chứa danh tính", en: "As long as the campaign is kept; holds no identity" },
} satisfies Record<string, Bilingual>;

/**
 * The processing register's source: one entry per model of prisma/schema.prisma, each column
 * classified. test/privacy.register.test.ts fails when a model or column has no entry here, and
 * when docs/processing-register.md is not what `npm run docs:privacy` generates from it.
 */
export const ANNOTATIONS: Record<string, ModelAnnotation> = {
  Province: {
    subjects: "none",
    kept: { vi: "Danh mục tỉnh, thành phố", en: "List of provinces" },
    purpose: { vi: "Định tuyến tin báo", en: "Routing tips" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.public,
    fields: "code:r name:r shortName:r type:r nameEn:r aliases:r updatedAt:o",
  },
  Commune: {
    subjects: "none",
    kept: { vi: "Danh mục xã, phường, đặc khu", en: "List of communes" },
    purpose: { vi: "Định tuyến tin báo tới công an xã", en: "Routing tips to commune police" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.public,
    fields: "code:r name:r shortName:r type:r provinceCode:r nameEn:r aliases:r lat:r lng:r updatedAt:o",
  },
  ReferenceDataset: {
    subjects: "none",
    kept: { vi: "Tệp dữ liệu tham chiếu đã nạp", en: "Reference data files loaded" },
    purpose: { vi: "Không nạp lại tệp không đổi", en: "Not reloading an unchanged file" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.service,
    fields: "name:t checksum:t loadedAt:o",
  },
  Chat: {
    subjects: "residents",
    kept: { vi: "Mã cuộc trò chuyện trên nền tảng, ngôn ngữ, lựa chọn vừa đưa ra, bước hội thoại", en: "The platform's chat id, language, last choices offered, conversation step" },
    purpose: { vi: "Trả lời người dân trên kênh họ chọn", en: "Answering residents on the channel they chose" },
    legalBasis: BASIS.request,
    retention: { vi: "Ngôn ngữ và trạng thái xoá theo yêu cầu «xoá dữ liệu của tôi»; mã cuộc trò chuyện giữ để trả lời", en: "Language and state erased on “delete my data”; the chat id is kept to answer" },
    access: ACCESS.service,
    fields: "id:t channel:o platformChatId:i kind:o locale:p menu:o flow:o unreachableAt:o createdAt:o updatedAt:o",
  },
  InboxUpdate: {
    subjects: "residents",
    kept: { vi: "Cập nhật nhận từ nền tảng; nội dung thô xoá ngay khi xử lý xong", en: "Updates received from the platforms; the raw content is cleared once processed" },
    purpose: { vi: "Không mất tin đã xác nhận, chống trùng lặp", en: "Losing nothing acknowledged; deduplication" },
    legalBasis: BASIS.request,
    retention: ["inbox", "inbox_parked"],
    access: ACCESS.service,
    fields: "id:t channel:o updateKey:t chatKey:i seq:t payload:s status:o attempts:o nextAttemptAt:o lastError:o receivedAt:o processedAt:o",
  },
  OutboxMessage: {
    subjects: "residents",
    kept: { vi: "Tin nhắn gửi đi (mã và PIN tin báo được xoá khi đã gửi)", en: "Messages sent (tip code and PIN scrubbed once delivered)" },
    purpose: { vi: "Gửi tin đúng một lần, theo nhịp của nền tảng; sửa thẻ tin báo", en: "Sending each message once at the platforms' pace; editing tip cards" },
    legalBasis: BASIS.request,
    retention: ["outbox"],
    access: ACCESS.service,
    fields:
      "id:t channel:o chatId:t method:o payload:s priority:o sensitive:o status:o attempts:o rateLimitedCount:o nextAttemptAt:o sourceUpdateId:t platformMessageId:t lastError:o createdAt:o sentAt:o bulkPaid:o",
  },
  Queue: {
    subjects: "none",
    kept: { vi: "Hàng đợi tin báo của từng đơn vị và nhóm cán bộ được gắn", en: "Each unit's tip queue and the officers' group bound to it" },
    purpose: { vi: "Định tuyến tin báo", en: "Routing tips" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.admins,
    fields: "id:t kind:r name:r provinceCode:r communeCode:r groupChatId:t createdAt:o",
  },
  RoutingRule: {
    subjects: "none",
    kept: { vi: "Quy tắc gửi bản sao theo loại tin", en: "Copy rules by category" },
    purpose: { vi: "Định tuyến tin báo", en: "Routing tips" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.admins,
    fields: "id:t category:r queueKind:r provinceCode:r createdAt:o",
  },
  Tip: {
    subjects: "tipsters",
    kept: {
      vi: "Nội dung tin báo, loại, địa điểm (có thể là toạ độ), thời gian; tin ẩn danh không có định danh nào; họ tên, số điện thoại và tham chiếu trả lời chỉ ở dạng niêm phong",
      en: "The report, category, place (possibly coordinates), time; an anonymous tip holds no identifier; name, phone and reply reference only sealed",
    },
    purpose: { vi: "Tiếp nhận, phân loại, giải quyết tố giác, tin báo về tội phạm trong thời hạn luật định", en: "Receiving, classifying and settling crime reports within the legal time limits" },
    legalBasis: BASIS.crime,
    retention: { vi: `${KEEP.tipRecord.vi}; họ tên, số điện thoại niêm phong xoá theo quy tắc closed_tip_contacts`, en: `${KEEP.tipRecord.en}; the sealed name and phone go under the closed_tip_contacts rule` },
    access: ACCESS.officers,
    fields:
      "id:t code:t pinHash:x category:s lifeSafety:s priority:o status:o claimedById:f claimedAt:o classification:s duplicateOf:t outcome:s closedAt:o " +
      "receiptNoticeDueAt:o receiptNoticeSentAt:o decisionDueAt:o extension:o transferredAt:o previousQueueId:t channel:o queueId:t provinceCode:s communeCode:s " +
      "placeSource:o placeText:s latitude:s longitude:s occurredWhen:s description:s details:s identityMode:o contactSealed:x replyRefSealed:x locale:p " +
      "receivedAt:o receivedMonth:o receivedHour:o receivedWeekday:o awaitingAnswerSince:o updatedAt:o pinFailures:o pinLockedUntil:o",
  },
  TipCard: {
    subjects: "tipsters",
    kept: { vi: "Thẻ tin báo trong nhóm cán bộ", en: "A tip's card in an officers' group" },
    purpose: { vi: "Sửa thẻ tại chỗ khi tin báo thay đổi", en: "Editing the card in place as the tip changes" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.officers,
    fields: "id:t tipId:t queueId:t chatId:t kind:o outboxId:t active:o createdAt:o",
  },
  Officer: {
    subjects: "staff",
    kept: { vi: "Mã người dùng Telegram, tên hiển thị, vai trò, phạm vi của cán bộ", en: "Officers' Telegram user id, display name, role, scope" },
    purpose: { vi: "Phân quyền theo vai trò và phạm vi; nhắc việc", en: "Authorising by role and scope; reminders" },
    legalBasis: BASIS.staff,
    retention: KEEP.staffTenure,
    access: ACCESS.admins,
    fields: "id:t telegramUserId:f displayName:f role:f scopeKind:f scopeCode:f privateChatId:t revokedAt:o createdAt:o",
  },
  OneTimeCode: {
    subjects: "staff",
    kept: {
      vi: "Mã mời, mã gắn nhóm, đường dẫn/mã đăng nhập và phiên bảng điều khiển (chỉ lưu băm)",
      en: "Invitation and binding codes, console login links/codes and sessions (hash only)",
    },
    purpose: { vi: "Cán bộ tham gia và đăng nhập bảng điều khiển an toàn", en: "Officers joining and logging in to the console safely" },
    legalBasis: BASIS.staff,
    retention: KEEP.codes,
    access: ACCESS.admins,
    fields: "id:t codeHash:h purpose:o role:f scopeKind:f scopeCode:f queueId:t createdBy:f expiresAt:o usedAt:o usedBy:f createdAt:o",
  },
  SavedView: {
    subjects: "staff",
    kept: { vi: "Bộ lọc danh sách tin báo mà người dùng bảng điều khiển đã lưu (tên và điều kiện lọc)", en: "Tip-list filters a console user saved (name and filter)" },
    purpose: { vi: "Mở lại nhanh một danh sách hay dùng", en: "Reopening a list one uses often" },
    legalBasis: BASIS.staff,
    retention: KEEP.staffTenure,
    access: { vi: "Chỉ chính cán bộ đã lưu", en: "Only the officer who saved it" },
    fields: "id:t officerId:t name:f query:o createdAt:o",
  },
  MonthlyReport: {
    subjects: "none",
    kept: { vi: "Số liệu tổng hợp hằng tháng của một đơn vị (số nhỏ hơn 3 đã được che)", en: "A unit's monthly aggregate figures (counts under 3 suppressed)" },
    purpose: { vi: "Báo cáo tháng gửi nhóm đơn vị và lưu trên bảng điều khiển", en: "The monthly report posted to the unit's group and kept in the console" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.officers,
    fields: "id:t month:o unitKind:o unitCode:r summary:o createdAt:o postedAt:o",
  },
  OfficerPrompt: {
    subjects: "staff",
    kept: { vi: "Câu hỏi của bot đang chờ cán bộ trả lời", en: "The bot's prompts awaiting an officer's reply" },
    purpose: { vi: "Ghép câu trả lời với tin báo", en: "Matching replies to tips" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.service,
    fields: "id:t tipId:t kind:o officerId:f chatId:t outboxId:t usedAt:o createdAt:o",
  },
  TipNote: {
    subjects: "tipsters",
    kept: { vi: "Ghi chú nội bộ của cán bộ về tin báo", en: "Officers' internal notes on a tip" },
    purpose: { vi: "Giải quyết tin báo", en: "Settling the tip" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.officers,
    fields: "id:t tipId:t officerId:f text:s createdAt:o",
  },
  RelayMessage: {
    subjects: "tipsters",
    kept: { vi: "Tin nhắn chuyển giữa cán bộ và người báo tin", en: "Messages relayed between officers and the tipster" },
    purpose: { vi: "Hỏi thêm người báo tin mà không lộ danh tính hai bên", en: "Asking the tipster more without either learning the other's identity" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.officers,
    fields: "id:t tipId:t direction:o text:s officerId:f createdAt:o",
  },
  ReminderLog: {
    subjects: "none",
    kept: { vi: "Nhắc việc đã gửi", en: "Reminders sent" },
    purpose: { vi: "Không nhắc lặp", en: "Not repeating reminders" },
    legalBasis: BASIS.none,
    retention: KEEP.tipRecord,
    access: ACCESS.service,
    fields: "id:t tipId:t kind:o sentAt:o",
  },
  TipAttachment: {
    subjects: "tipsters",
    kept: { vi: "Ảnh, video, ghi âm gửi kèm tin báo (ảnh web đã xoá siêu dữ liệu)", en: "Photos, videos, voice sent with a tip (web photos stripped of metadata)" },
    purpose: { vi: "Chứng cứ ban đầu của tin báo", en: "Initial evidence of the report" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.officers,
    fields: "id:t tipId:t kind:o ref:s caption:s createdAt:o",
  },
  TipCopy: {
    subjects: "none",
    kept: { vi: "Bản sao «để biết» gửi đơn vị khác", en: "“For information” copies to other units" },
    purpose: { vi: "Phối hợp (ví dụ: an ninh mạng)", en: "Coordination (e.g. cyber security)" },
    legalBasis: BASIS.crime,
    retention: KEEP.tipRecord,
    access: ACCESS.officers,
    fields: "id:t tipId:t queueId:t reason:o createdAt:o",
  },
  TipDraft: {
    subjects: "residents",
    kept: { vi: "Bản nháp tin báo chưa gửi (họ tên, số điện thoại niêm phong)", en: "An unsent tip draft (name and phone sealed)" },
    purpose: { vi: "Cho phép viết tiếp sau khi gián đoạn", en: "Resuming after an interruption" },
    legalBasis: BASIS.request,
    retention: ["drafts"],
    access: ACCESS.service,
    fields: "chatId:t data:s createdAt:o updatedAt:o",
  },
  AuditEvent: {
    subjects: "staff",
    kept: {
      vi: "Mọi thay đổi của tin báo, lần cán bộ mở tệp của tin báo (không lưu nội dung hay mã tệp), lần từ chối quyền, yêu cầu dữ liệu, báo cáo lưu giữ; không bao giờ danh tính người báo tin",
      en: "Every change to a tip, each time staff open a tip's file (never its content or file id), refusals, data requests, retention reports; never a tipster's identity",
    },
    purpose: { vi: "Truy vết, chứng minh tuân thủ, điều tra sự cố", en: "Accountability, proof of compliance, incident investigation" },
    legalBasis: BASIS.duty,
    retention: ["audit"],
    access: ACCESS.admins,
    fields: "id:t tipId:t actor:f action:o data:o via:t at:o",
  },
  Lease: {
    subjects: "none",
    kept: {
      vi: "Quyền giữ tạm thời của từng phiên bản dịch vụ (chủ trì, bộ gửi, cuộc trò chuyện đang xử lý — chỉ là mã băm, xoá khi trả)",
      en: "Short-lived leases held by service instances (leader, sender, a chat being processed — only a hash, deleted on release)",
    },
    purpose: { vi: "Chạy nhiều phiên bản trên một PostgreSQL: mỗi việc làm đúng một lần", en: "Several instances on one PostgreSQL: each job done exactly once" },
    legalBasis: BASIS.none,
    retention: { vi: "Vài giây đến khi phiên bản trả quyền; quyền hết hạn được ghi đè", en: "Seconds, until the instance releases it; expired leases are overwritten" },
    access: ACCESS.service,
    fields: "name:t holder:t expiresAt:o epoch:o",
  },
  RateCounter: {
    subjects: "residents",
    kept: { vi: "Bộ đếm giới hạn theo người (khoá là mã nội bộ của cuộc trò chuyện)", en: "Per-person limit counters (keyed by the chat's internal id)" },
    purpose: { vi: "Chống lạm dụng, đoán mã", en: "Preventing abuse and guessing" },
    legalBasis: BASIS.duty,
    retention: KEEP.rate,
    access: ACCESS.service,
    fields: "key:t windowStart:o count:o",
  },
  Upload: {
    subjects: "residents",
    kept: { vi: "Ảnh tải lên từ web chat (đã xoá siêu dữ liệu); cuộc trò chuyện chỉ ở dạng niêm phong", en: "Photos uploaded through the web chat (metadata stripped); the chat only sealed" },
    purpose: { vi: "Đính kèm vào tin báo", en: "Attaching to a tip" },
    legalBasis: BASIS.crime,
    retention: ["uploads"],
    access: ACCESS.officers,
    fields: "id:t chatId:x mime:o size:o bytes:s createdAt:o",
  },
  Subscription: {
    subjects: "residents",
    kept: { vi: "Chủ đề, khu vực nhận tin pháp luật và thời điểm đồng ý", en: "Legal news topics, area and when consent was given" },
    purpose: { vi: "Gửi tin tuyên truyền pháp luật theo đăng ký", en: "Sending legal awareness messages as subscribed" },
    legalBasis: BASIS.consent,
    retention: ["ended_subscriptions"],
    access: ACCESS.outreach,
    fields: "id:t chatId:t topics:p provinceCode:p communeCode:p active:o consentedAt:p stoppedReason:p stoppedAt:p createdAt:o updatedAt:o",
  },
  ConsentRecord: {
    subjects: "residents",
    kept: { vi: "Lịch sử đồng ý và rút lại đồng ý", en: "History of consents and withdrawals" },
    purpose: { vi: "Chứng minh sự đồng ý; cho người dân xem lại", en: "Proving consent; showing it back to the person" },
    legalBasis: BASIS.consent,
    retention: ["ended_subscriptions"],
    access: ACCESS.service,
    fields: "id:t chatId:t action:p details:p at:p",
  },
  Content: {
    subjects: "none",
    kept: { vi: "Thư viện nội dung tuyên truyền", en: "Legal awareness content library" },
    purpose: { vi: "Chiến dịch tuyên truyền", en: "Campaigns" },
    legalBasis: BASIS.none,
    retention: KEEP.campaign,
    access: ACCESS.public,
    fields: "id:t title:r bodies:r imageUrl:r source:r topics:r quiz:r createdBy:f createdAt:o",
  },
  Campaign: {
    subjects: "none",
    kept: { vi: "Chiến dịch: nội dung, đối tượng, lịch", en: "Campaigns: content, audience, schedule" },
    purpose: { vi: "Chiến dịch tuyên truyền", en: "Campaigns" },
    legalBasis: BASIS.none,
    retention: KEEP.campaign,
    access: ACCESS.outreach,
    fields: "id:t contentId:t audience:o schedule:o status:o nextRunAt:o paidBroadcast:o createdBy:f createdAt:o updatedAt:o",
  },
  CampaignRun: {
    subjects: "none",
    kept: { vi: "Mỗi lần gửi của chiến dịch", en: "Each sending of a campaign" },
    purpose: { vi: "Tiến độ, báo cáo", en: "Progress, reports" },
    legalBasis: BASIS.none,
    retention: KEEP.campaign,
    access: ACCESS.outreach,
    fields: "id:t campaignId:t startedAt:o finishedAt:o status:o cursor:t progressOutboxId:t targeted:o",
  },
  Delivery: {
    subjects: "residents",
    kept: { vi: "Một tin chiến dịch tới một người đăng ký và kết quả", en: "One campaign message to one subscriber and its outcome" },
    purpose: { vi: "Gửi đúng một lần; báo cáo", en: "Sending once; reports" },
    legalBasis: BASIS.consent,
    retention: { vi: "Cùng chiến dịch; khi người dân xoá dữ liệu, liên kết tới cuộc trò chuyện bị xoá", en: "With the campaign; the link to the chat is erased when the person deletes their data" },
    access: ACCESS.outreach,
    fields: "id:t runId:t chatId:t status:o outboxId:t updatedAt:o",
  },
  QuizAnswer: {
    subjects: "none",
    kept: { vi: "Câu trả lời trắc nghiệm (không gắn với người)", en: "Quiz answers (not linked to anyone)" },
    purpose: { vi: "Đánh giá hiệu quả tuyên truyền", en: "Measuring campaigns" },
    legalBasis: BASIS.none,
    retention: KEEP.campaign,
    access: ACCESS.outreach,
    fields: "id:t campaignId:t question:o option:o at:o",
  },
  KnowledgeEntry: {
    subjects: "none",
    kept: { vi: "Kho kiến thức pháp luật", en: "Legal knowledge base" },
    purpose: { vi: "Trả lời câu hỏi pháp luật", en: "Answering legal questions" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.public,
    fields: "id:t questions:r answers:r source:r changed:r topics:r reportable:r lastReviewed:r active:o createdBy:f createdAt:o updatedAt:o",
  },
  QaFeedback: {
    subjects: "none",
    kept: { vi: "Đánh giá «có hữu ích không» (không gắn với người)", en: "“Was this helpful?” answers (not linked to anyone)" },
    purpose: { vi: "Cải thiện câu trả lời", en: "Improving answers" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.admins,
    fields: "id:t entryId:t helpful:o at:o",
  },
  LegalQuestion: {
    subjects: "residents",
    kept: { vi: "Câu hỏi gửi cán bộ pháp chế và câu trả lời; người hỏi chỉ ở dạng tham chiếu niêm phong", en: "Questions to the legal staff and their answers; the asker only as a sealed reference" },
    purpose: { vi: "Trả lời câu hỏi mà kho kiến thức chưa có", en: "Answering questions the knowledge base cannot" },
    legalBasis: BASIS.request,
    retention: ["legal_questions"],
    access: ACCESS.legal,
    fields: "id:t text:s locale:p replyRefSealed:x status:o answer:o answeredBy:f answeredAt:o cardOutboxId:t entryId:t createdAt:o",
  },
  StatsDirty: {
    subjects: "none",
    kept: { vi: "Tháng × tỉnh có số liệu thống kê cần tính lại (không có mã tin báo)", en: "Months × provinces whose statistics must be recomputed (no tip id)" },
    purpose: { vi: "Giữ số liệu thống kê tổng hợp đúng khi tin báo thay đổi", en: "Keeping the aggregate statistics right when tips change" },
    legalBasis: BASIS.none,
    retention: { vi: "Xoá khi số liệu của tháng × tỉnh đó được tính lại (mỗi phút)", en: "Deleted once that month × province is recomputed (every minute)" },
    access: ACCESS.service,
    fields: "id:t month:o queueProvince:r",
  },
  StatsChunk: {
    subjects: "none",
    kept: { vi: "Thời điểm tính số liệu của từng tháng × tỉnh", en: "When each month × province of the statistics was computed" },
    purpose: { vi: "Tính lại số liệu khi hạn pháp lý của tin báo đang mở sắp đến hoặc đã qua", en: "Recomputing figures when an open tip's legal deadline comes near or passes" },
    legalBasis: BASIS.none,
    retention: { vi: "Tính lại từ tin báo; giữ cùng thời gian với tin báo", en: "Recomputed from the tips; kept as long as the tips" },
    access: ACCESS.service,
    fields: "month:o queueProvince:r builtAt:o nextChangeAt:o",
  },
  StatsUnit: {
    subjects: "none",
    kept: { vi: "Số tin báo và thời hạn pháp lý theo đơn vị, xã, loại, kênh, tháng (chỉ số đếm)", en: "Tip counts and legal clocks per unit, commune, type, channel and month (counts only)" },
    purpose: { vi: "Trang thống kê của bảng điều khiển cho tỉnh và toàn quốc", en: "The console's statistics page for a province and the whole country" },
    legalBasis: BASIS.crime,
    retention: { vi: "Tính lại từ tin báo; giữ cùng thời gian với tin báo", en: "Recomputed from the tips; kept as long as the tips" },
    access: ACCESS.officers,
    fields: "month:o queueProvince:r queueId:t placeProvince:r placeCommune:r category:o channel:o tips:o receiptMet:o receiptBreached:o receiptOpen:o receiptAtRisk:o decisionMet:o decisionBreached:o decisionOpen:o decisionAtRisk:o",
  },
  StatsCell: {
    subjects: "none",
    kept: { vi: "Số tin báo theo tỉnh, loại, kênh, tháng; biểu đồ giờ × thứ và thời gian nhận xử lý (chỉ số đếm)", en: "Tip counts per province, type, channel and month; the hour × weekday and time-to-claim histograms (counts only)" },
    purpose: { vi: "Trang thống kê của bảng điều khiển cho tỉnh và toàn quốc", en: "The console's statistics page for a province and the whole country" },
    legalBasis: BASIS.crime,
    retention: { vi: "Tính lại từ tin báo; giữ cùng thời gian với tin báo", en: "Recomputed from the tips; kept as long as the tips" },
    access: ACCESS.officers,
    fields: "month:o queueProvince:r placeProvince:r category:o channel:o tips:o claimed:o heat:o claims:o",
  },
  StatsRollupState: {
    subjects: "none",
    kept: { vi: "Thời điểm số liệu thống kê tổng hợp được tính xong", en: "When the aggregate statistics were last brought up to date" },
    purpose: { vi: "Hiển thị «số liệu tính đến»", en: "Showing “figures as of”" },
    legalBasis: BASIS.none,
    retention: KEEP.forever,
    access: ACCESS.service,
    fields: "id:t markedAt:o readyAt:o passAt:o",
  },
};

/** A model's columns and their classes, from its `fields` string. */
export function annotatedFields(a: ModelAnnotation): Map<string, FieldClass> {
  return new Map(
    a.fields
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const [name, cls] = pair.split(":") as [string, FieldClass];
        return [name, cls];
      }),
  );
}
