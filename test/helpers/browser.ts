import fs from "node:fs";

/** Debian's Chromium (CI installs it; no browser is ever downloaded). */
export const CHROMIUM = "/usr/bin/chromium";
/** Flags every browser journey launches it with (headless in a container, no network of its own). */
export const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
/** Whether Chromium is installed (a journey without it is skipped, loudly). */
export const hasChromium = fs.existsSync(CHROMIUM);
