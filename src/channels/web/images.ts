import type { Sharp, SharpOptions } from "sharp";

/** Image types the web chat accepts. */
export const WEB_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export type WebImageType = (typeof WEB_IMAGE_TYPES)[number];

/**
 * Largest picture decoded by default (pixels): a small file can claim huge dimensions
 * ("decompression bomb"), and each decoded pixel costs memory. 40 MP covers phone cameras' usual
 * 12–24 MP and their 48–50 MP modes' binned output; WEB_IMAGE_MAX_PIXELS changes it.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

type SharpFactory = (input: Buffer, options: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | undefined;

/**
 * sharp (libvips) is loaded on the first upload, not at start: it adds ~18 MB to the process, and
 * most instances never receive a photo through the web chat.
 */
function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import("sharp").then((m) => {
    // Decoded images stay out of libvips' operation cache: uploads are personal data.
    m.default.cache(false);
    return m.default as unknown as SharpFactory;
  });
  return sharpModule;
}

/** The image type the bytes really are (by their magic numbers), whatever the request claimed. */
export function sniffImageType(bytes: Uint8Array): WebImageType | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (b.length >= 12 && b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/** Raised when the bytes are not a readable image of an accepted type. */
export class UnreadableImageError extends Error {}

/** A cleaned image: re-encoded pixels, no metadata. */
export interface CleanImage {
  bytes: Buffer;
  mime: WebImageType;
  width: number;
  height: number;
}

/**
 * Re-encodes an uploaded photo with every piece of metadata removed: EXIF (GPS position, camera
 * make, model and serial number, date), XMP, IPTC, ICC profile, comments and PNG text chunks.
 * libvips (through sharp) decodes the pixels and writes a new file holding only them; the EXIF
 * orientation is applied first, so the photo still shows the right way up. Only the first frame of
 * an animation is kept.
 */
export async function cleanImage(bytes: Buffer, maxPixels = MAX_IMAGE_PIXELS): Promise<CleanImage> {
  const mime = sniffImageType(bytes);
  if (!mime) throw new UnreadableImageError("not a JPEG, PNG or WebP image");
  const sharp = await loadSharp();
  try {
    const pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: "error", animated: false }).rotate();
    const encoded =
      mime === "image/jpeg"
        ? pipeline.jpeg({ quality: 90, chromaSubsampling: "4:2:0" })
        : mime === "image/png"
          ? pipeline.png({ compressionLevel: 6 })
          : pipeline.webp({ quality: 90 });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return { bytes: data, mime, width: info.width, height: info.height };
  } catch (err) {
    throw new UnreadableImageError(`could not decode the image: ${(err as Error).message}`);
  }
}

/** Raised when too many photos are already waiting to be decoded: the upload is refused (429), not queued. */
export class ImageQueueFullError extends Error {}

/**
 * Decodes uploaded photos a few at a time (`concurrency`, 1 by default) with a pixel cap, so memory
 * stays bounded however many large photos arrive together: eight concurrent 7071×7071 JPEGs are
 * decoded one after the other (each ~150 MB of pixels), not all at once. At most `maxWaiting`
 * uploads wait for their turn (their bodies are held in memory meanwhile); more are refused.
 */
export class ImageDecoder {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly opts: { maxPixels: number; concurrency: number; maxWaiting?: number },
  ) {}

  /** Photos being decoded now, and waiting. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** cleanImage, in turn. Throws ImageQueueFullError when too many are waiting. */
  async clean(bytes: Buffer): Promise<CleanImage> {
    if (this.active >= this.opts.concurrency) {
      if (this.waiting.length >= (this.opts.maxWaiting ?? 8)) throw new ImageQueueFullError("too many photos waiting to be decoded");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await cleanImage(bytes, this.opts.maxPixels);
    } finally {
      // Hand the slot straight to the next waiter (active unchanged), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
