import type { Sealer } from "../../security/sealing.ts";

/** Binds the sealed tip of a pending answer to its use. */
const CONTEXT = "chat-answer-tip";

/**
 * The chat's conversation state while an officer's question waits for the tipster's answer: the tip
 * is kept only sealed, so the chat row (which holds the platform id) does not name the tip.
 */
export interface AnswerFlow {
  name: "answer";
  /** The tip's id, sealed. */
  tipRef?: string;
  /** Written before tips were sealed in the flow; still read. */
  tipId?: string;
}

/** The flow to store on the tipster's chat when an officer's question is sent (see AnswerFlow). */
export function answerFlow(sealer: Sealer, tipId: string): string {
  return JSON.stringify({ name: "answer", tipRef: sealer.seal(tipId, CONTEXT) } satisfies AnswerFlow);
}

/** The tip a pending answer is for; undefined when the flow cannot be opened (e.g. a retired key). */
export function answerTipId(sealer: Sealer, flow: AnswerFlow): string | undefined {
  if (flow.tipRef) {
    try {
      return sealer.open(flow.tipRef, CONTEXT);
    } catch {
      return undefined;
    }
  }
  return flow.tipId;
}
