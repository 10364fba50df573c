import type { ConsoleArea } from "../kit.ts";
import { queueArea } from "./queue.ts";
import { tipArea } from "./tip.ts";
import { outreachArea } from "./outreach.ts";
import { legalArea } from "./legal.ts";
import { statsArea } from "./stats.ts";
import { reportsArea } from "./reports.ts";
import { tipsArea } from "./tips.ts";

/** Every part of the console, registered in this order (one line per area). */
export const AREAS: ConsoleArea[] = [
  queueArea,
  tipArea,
  outreachArea,
  legalArea,
  statsArea,
  reportsArea,
  tipsArea,
];
