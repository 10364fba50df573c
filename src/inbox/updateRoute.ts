import type { Tx } from "../db/client.ts";
import type { OutboxRef } from "../outbox/outbound.ts";

/** Runs one stored update through its channel inside `tx`; returns the outbox rows it created. */
export type UpdateRoute = (tx: Tx, row: { id: number; channel: string; payload: string }) => Promise<OutboxRef[]>;
