/** What a file's first bytes say it is, and whether a browser may show it inline. */
export interface SniffedType {
  type: string;
  ext: string;
  /** Shown in the page (image, video, sound); anything else is downloaded, never rendered. */
  inline: boolean;
}

const starts = (head: Uint8Array, bytes: number[], at = 0) => bytes.every((b, i) => head[at + i] === b);
const ascii = (head: Uint8Array, text: string, at = 0) => starts(head, [...text].map((ch) => ch.charCodeAt(0)), at);

/**
 * The content type of a tip's file from its first bytes (at least 12), never from what the
 * platform or the tipster declared: JPEG, PNG, WebP, GIF, MP4/MOV, Ogg, MP3 and WAV are shown
 * inline; PDF and anything unknown are served as a download (`application/octet-stream` unless
 * PDF), so no file can run as a page of the console.
 */
export function sniffMediaType(head: Uint8Array): SniffedType {
  if (starts(head, [0xff, 0xd8, 0xff])) return { type: "image/jpeg", ext: "jpg", inline: true };
  if (starts(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { type: "image/png", ext: "png", inline: true };
  if (ascii(head, "RIFF") && ascii(head, "WEBP", 8)) return { type: "image/webp", ext: "webp", inline: true };
  if (ascii(head, "GIF87a") || ascii(head, "GIF89a")) return { type: "image/gif", ext: "gif", inline: true };
  if (ascii(head, "ftyp", 4)) return ascii(head, "qt  ", 8) ? { type: "video/quicktime", ext: "mov", inline: true } : { type: "video/mp4", ext: "mp4", inline: true };
  if (ascii(head, "OggS")) return { type: "audio/ogg", ext: "ogg", inline: true };
  if (ascii(head, "ID3") || (head[0] === 0xff && head[1] !== undefined && (head[1] & 0xe0) === 0xe0)) return { type: "audio/mpeg", ext: "mp3", inline: true };
  if (ascii(head, "RIFF") && ascii(head, "WAVE", 8)) return { type: "audio/wav", ext: "wav", inline: true };
  if (ascii(head, "%PDF-")) return { type: "application/pdf", ext: "pdf", inline: false };
  return { type: "application/octet-stream", ext: "bin", inline: false };
}
