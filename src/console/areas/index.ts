import type { ConsoleArea } from "../kit.ts";
import { queueArea } from "./queue.ts";
import { tipsArea } from "./tips.ts";

/** Every part of the console, registered in this order (one line per area). */
export const AREAS: ConsoleArea[] = [
  queueArea,
  tipsArea,
];
