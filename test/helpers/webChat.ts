import crypto from "node:crypto";
import { expect } from "vitest";
import sharp from "sharp";
import { chatKeyOf } from "../../src/channels/web/session.ts";

/** Cookie name of the web chat session (kept here so tests read as the browser sees it). */
export const WEB_COOKIE = "tm_sid";

// ---- Photos with metadata ---------------------------------------------------------------------

/** Strings planted in the fixture's metadata: none may survive the upload. */
export const PLANTED = { make: "TaiMatCam", serial: "SN-998877-PRIVATE", comment: "shot at home of Nguyen Van A", xmp: "xmp-secret-21.0287" };

type Entry = { tag: number; type: number; count: number; data: Buffer };
const ASCII = 2;
const LONG = 4;
const RATIONAL = 5;
const BYTE = 1;

const ascii = (text: string): Entry["data"] => Buffer.from(text + "\0", "latin1");
const rationals = (pairs: Array<[number, number]>) => {
  const b = Buffer.alloc(8 * pairs.length);
  pairs.forEach(([n, d], i) => {
    b.writeUInt32LE(n, i * 8);
    b.writeUInt32LE(d, i * 8 + 4);
  });
  return b;
};

/** Writes one little-endian IFD at `offset` (values over 4 bytes after it); returns its bytes. */
function ifd(entries: Entry[], offset: number): Buffer {
  const head = Buffer.alloc(2 + entries.length * 12 + 4);
  head.writeUInt16LE(entries.length, 0);
  let dataOffset = offset + head.length;
  const tail: Buffer[] = [];
  entries.forEach((e, i) => {
    const at = 2 + i * 12;
    head.writeUInt16LE(e.tag, at);
    head.writeUInt16LE(e.type, at + 2);
    head.writeUInt32LE(e.count, at + 4);
    if (e.data.length <= 4) e.data.copy(head, at + 8);
    else {
      head.writeUInt32LE(dataOffset, at + 8);
      const padded = e.data.length % 2 ? Buffer.concat([e.data, Buffer.alloc(1)]) : e.data;
      tail.push(padded);
      dataOffset += padded.length;
    }
  });
  return Buffer.concat([head, ...tail]);
}

/**
 * An EXIF APP1 segment as a camera writes it: IFD0 with make, model and a pointer to a GPS IFD
 * holding latitude and longitude (Hồ Hoàn Kiếm), and an Exif IFD with the body serial number.
 */
export function exifSegment(): Buffer {
  const gpsEntries = (): Entry[] => [
    { tag: 0x0000, type: BYTE, count: 4, data: Buffer.from([2, 3, 0, 0]) },
    { tag: 0x0001, type: ASCII, count: 2, data: ascii("N") },
    { tag: 0x0002, type: RATIONAL, count: 3, data: rationals([[21, 1], [1, 1], [4332, 100]]) },
    { tag: 0x0003, type: ASCII, count: 2, data: ascii("E") },
    { tag: 0x0004, type: RATIONAL, count: 3, data: rationals([[105, 1], [51, 1], [864, 100]]) },
  ];
  const exifEntries = (): Entry[] => [{ tag: 0xa431, type: ASCII, count: PLANTED.serial.length + 1, data: ascii(PLANTED.serial) }];
  const ifd0 = (gpsAt: number, exifAt: number): Entry[] => [
    { tag: 0x010f, type: ASCII, count: PLANTED.make.length + 1, data: ascii(PLANTED.make) },
    { tag: 0x0110, type: ASCII, count: 6, data: ascii("X-100") },
    { tag: 0x8769, type: LONG, count: 1, data: u32(exifAt) },
    { tag: 0x8825, type: LONG, count: 1, data: u32(gpsAt) },
  ];
  // Lay out IFD0, then the Exif IFD, then the GPS IFD (sizes do not depend on the pointers' values).
  const ifd0Size = ifd(ifd0(0, 0), 8).length;
  const exifAt = 8 + ifd0Size;
  const exifSize = ifd(exifEntries(), exifAt).length;
  const gpsAt = exifAt + exifSize;
  const tiff = Buffer.concat([Buffer.from("II*\0", "latin1"), u32(8), ifd(ifd0(gpsAt, exifAt), 8), ifd(exifEntries(), exifAt), ifd(gpsEntries(), gpsAt)]);
  return segment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** A JPEG of `width`×`height` carrying EXIF (GPS, camera, serial), XMP and a comment. */
export async function jpegWithMetadata(width = 64, height = 48): Promise<Buffer> {
  const plain = await sharp({ create: { width, height, channels: 3, background: { r: 180, g: 40, b: 40 } } }).jpeg().toBuffer();
  const xmp = segment(0xe1, Buffer.concat([Buffer.from("http://ns.adobe.com/xap/1.0/\0", "latin1"), Buffer.from(`<x:xmpmeta><exif:GPSLatitude>${PLANTED.xmp}</exif:GPSLatitude></x:xmpmeta>`, "latin1")]));
  const comment = segment(0xfe, Buffer.from(PLANTED.comment, "latin1"));
  // Right after SOI, where cameras put them.
  return Buffer.concat([plain.subarray(0, 2), exifSegment(), xmp, comment, plain.subarray(2)]);
}

/** A PNG carrying an eXIf chunk and a tEXt comment. */
export async function pngWithMetadata(width = 40, height = 30): Promise<Buffer> {
  const plain = await sharp({ create: { width, height, channels: 3, background: "#2a6" } }).png().toBuffer();
  const exif = exifSegment().subarray(4 + 6); // the TIFF part, as PNG's eXIf holds it
  const chunks = [pngChunk("eXIf", exif), pngChunk("tEXt", Buffer.from(`Comment\0${PLANTED.comment}`, "latin1"))];
  // After IHDR (8-byte signature + 25-byte IHDR chunk).
  return Buffer.concat([plain.subarray(0, 33), ...chunks, plain.subarray(33)]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** The markers of a JPEG's segments before the image data (e.g. 0xe1 for APP1/EXIF, 0xfe for a comment). */
export function jpegMarkers(jpeg: Buffer): number[] {
  const markers: number[] = [];
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!;
    markers.push(marker);
    if (marker === 0xda) break; // start of scan: image data follows
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  return markers;
}

/** The chunk types of a PNG, in order. */
export function pngChunks(png: Buffer): string[] {
  const types: string[] = [];
  let i = 8;
  while (i + 8 <= png.length) {
    const len = png.readUInt32BE(i);
    types.push(png.toString("latin1", i + 4, i + 8));
    i += 12 + len;
  }
  return types;
}

/** Offsets of the EXIF GPS IFD pointer tag (0x8825) inside a JPEG's EXIF segment, if it has one. */
export function hasGpsIfd(jpeg: Buffer): boolean {
  const at = jpeg.indexOf(Buffer.from("Exif\0\0", "latin1"));
  if (at < 0) return false;
  const tiff = jpeg.subarray(at + 6);
  const le = tiff.toString("latin1", 0, 2) === "II";
  const read16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const read32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const ifd0 = read32(4);
  const n = read16(ifd0);
  for (let k = 0; k < n; k++) if (read16(ifd0 + 2 + k * 12) === 0x8825) return true;
  return false;
}

// ---- Server-Sent Events -------------------------------------------------------------------------

/** One event read from the stream. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a text/event-stream response as it arrives. */
export class SseReader {
  readonly events: SseEvent[] = [];
  readonly status: number;
  readonly headers: Headers;
  private readonly abort: AbortController;
  private done: Promise<void>;

  private constructor(res: Response, abort: AbortController) {
    this.status = res.status;
    this.headers = res.headers;
    this.abort = abort;
    this.done = this.read(res).catch(() => undefined);
  }

  static async open(url: string, headers: Record<string, string>): Promise<SseReader> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
    return new SseReader(res, abort);
  }

  private async read(res: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: "message", data: "" };
        let hasData = false;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const [field, ...rest] = line.split(":");
          const value = rest.join(":").replace(/^ /, "");
          if (field === "id") event.id = value;
          else if (field === "event") event.event = value;
          else if (field === "data") {
            event.data += (hasData ? "\n" : "") + value;
            hasData = true;
          }
        }
        if (hasData) this.events.push(event);
      }
    }
  }

  /** Messages (parsed) received so far. */
  messages(): Array<{ id: number; text?: string; choices?: Array<{ id: string; label: string }>; ask?: string; lang?: string; scrubbed?: boolean }> {
    return this.events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data));
  }

  /** Waits until `check` holds for the events received (polling), or throws after `timeoutMs`. */
  async waitFor(check: (reader: SseReader) => boolean, timeoutMs = 10_000, what = "events"): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => e.data.slice(0, 80)))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

/**
 * A web chat session as the page has it, over raw HTTP: the session cookie the service issued, its
 * event stream, and `send` (a message or a photo upload, each with a fresh id; expects 202 and waits
 * for the bot's next message, which it returns).
 */
export async function openWebSession(baseUrl: string) {
  const page = await fetch(`${baseUrl}/`);
  const sid = new RegExp(`${WEB_COOKIE}=([^;]+)`).exec(page.headers.get("set-cookie") ?? "")![1]!;
  const headers = { cookie: `${WEB_COOKIE}=${sid}` };
  const stream = await SseReader.open(`${baseUrl}/api/chat/events`, headers);
  await stream.waitFor((r) => r.events.some((e) => e.event === "ready"));
  const send = async (body: Record<string, unknown> | Buffer) => {
    const before = stream.messages().length;
    const id = crypto.randomBytes(16).toString("hex");
    const res = Buffer.isBuffer(body)
      ? await fetch(`${baseUrl}/api/chat/uploads?id=${id}`, { method: "POST", headers: { ...headers, "content-type": "image/jpeg" }, body })
      : await fetch(`${baseUrl}/api/chat/messages`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ id, ...body }) });
    expect(res.status).toBe(202);
    await stream.waitFor((r) => r.messages().length > before, 10_000, `reply to ${Buffer.isBuffer(body) ? "an upload" : JSON.stringify(body)}`);
    return stream.messages().at(-1)!;
  };
  return { sid, chatKey: chatKeyOf(sid), headers, stream, send };
}
