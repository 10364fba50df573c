/**
 * Files the service makes on demand (a monthly report's chart), named by a reference
 * "<source>:<rest>" that an outbox message can carry as text: the channel's sender loads the bytes
 * when it sends the message, so nothing large is stored in the outbox and nothing is lost on a
 * restart (the file is made again from what the database keeps).
 */

/** A file's bytes, type and name. */
export interface ServiceFile {
  bytes: Uint8Array;
  mime: string;
  name: string;
}

/** Loads a file by its reference; null when it no longer exists (or the reference is not one of its own). */
export type FileLoader = (ref: string) => Promise<ServiceFile | null>;

/** One loader over several sources, each by the part of the reference before the first ":". */
export function fileLoaders(bySource: Record<string, FileLoader>): FileLoader {
  return async (ref) => {
    const colon = ref.indexOf(":");
    const source = colon > 0 ? ref.slice(0, colon) : "";
    const load = Object.hasOwn(bySource, source) ? bySource[source] : undefined;
    return load ? load(ref) : null;
  };
}
