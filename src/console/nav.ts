import type { OfficerRecord } from "../core/officers/authorize.ts";
import { mayViewQueue } from "../core/console/queueView.ts";
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
  { href: "/console/tips", label: "console_tips:nav", allowed: mayListTips },
];
