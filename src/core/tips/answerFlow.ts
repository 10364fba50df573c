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

/** Binds the sealed tip of an "add information" exchange to its use. */
const ADD_CONTEXT = "chat-addinfo-tip";

/**
 * The chat's state after a successful look-up (code + PIN): "offer" while "Add information" is on
 * screen, "open" once pressed (each message is then added to the tip). The tip is kept only sealed.
 */
export interface AddInfoFlow {
  name: "addinfo";
  step: "offer" | "open";
  tipRef: string;
}

/** The flow to store on the chat for adding information to a tip (see AddInfoFlow). */
export function addInfoFlow(sealer: Sealer, tipId: string, step: AddInfoFlow["step"]): string {
  return JSON.stringify({ name: "addinfo", step, tipRef: sealer.seal(tipId, ADD_CONTEXT) } satisfies AddInfoFlow);
}

/** The tip information is being added to; undefined when the flow cannot be opened (e.g. a retired key). */
export function addInfoTipId(sealer: Sealer, flow: AddInfoFlow): string | undefined {
  try {
    return sealer.open(flow.tipRef, ADD_CONTEXT);
  } catch {
    return undefined;
  }
}
