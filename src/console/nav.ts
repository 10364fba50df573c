import type { OfficerRecord } from "../core/officers/authorize.ts";
import { mayViewQueue } from "../core/console/queueView.ts";
import { mayUseOutreach } from "../core/console/outreachView.ts";
import { mayUseLegal } from "../core/console/legalView.ts";
import { mayViewStats } from "../core/console/stats.ts";
import { mayViewReports } from "../core/console/reports.ts";
import { mayListTips } from "../core/console/tipList.ts";

/** One link of the console's navigation, shown to the people it is `allowed` for. */
export interface NavItem {
  href: string;
  /** Locale key of the link's label. */
  label: string;
  allowed: (officer: OfficerRecord) => boolean;
}

/** The console's navigation, in display order (one line per page an area adds). */
export const NAV: NavItem[] = [
  { href: "/console/queue", label: "console:nav.queue", allowed: mayViewQueue },
  { href: "/console/outreach/campaigns", label: "console_outreach:nav.campaigns", allowed: mayUseOutreach },
  { href: "/console/outreach/compose", label: "console_outreach:nav.compose", allowed: mayUseOutreach },
  { href: "/console/outreach/content", label: "console_outreach:nav.content", allowed: mayUseOutreach },
  { href: "/console/legal", label: "console_legal:nav.questions", allowed: mayUseLegal },
  { href: "/console/legal/kb", label: "console_legal:nav.kb", allowed: mayUseLegal },
  { href: "/console/legal/test", label: "console_legal:nav.test", allowed: mayUseLegal },
  { href: "/console/stats", label: "console_stats:nav", allowed: mayViewStats },
  { href: "/console/reports", label: "console_reports:nav", allowed: mayViewReports },
  { href: "/console/tips", label: "console_tips:nav", allowed: mayListTips },
];

/** Where a person lands after logging in: the first page of the navigation they may open (else the home page). */
export const landingOf = (officer: OfficerRecord): string => NAV.find((n) => n.allowed(officer))?.href ?? "/console/home";
