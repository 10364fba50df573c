// Tai Mắt web chat. Plain JavaScript, no framework, nothing loaded from elsewhere.
// Messages from the bot arrive over Server-Sent Events (/api/chat/events); what the person does is
// POSTed to /api/chat/messages (JSON) or /api/chat/uploads (a photo). Message text is always put
// in the page as text nodes, never as HTML.
//
// Nothing the person types is lost: every outgoing message is written to the tab's sessionStorage
// first, sent in order, and retried with the SAME id until the server acknowledges it (the server
// drops a repeated id, so a retry never doubles). While it is not acknowledged it is marked
// "not sent". The person's side of the conversation and a receipt (code and PIN, which the server
// scrubs once delivered) are kept in the same sessionStorage: the browser clears it when the tab is
// closed, and the server never holds either in clear.
"use strict";
(function () {
  const $ = (selector) => document.querySelector(selector);
  const body = document.body;
  const log = $("#log");
  const form = $("#composer");
  const input = $("#text");
  const statusEl = $("#status");
  const locationButton = $("#location");
  const photo = $("#photo");
  const ACCEPTED = ["image/jpeg", "image/png", "image/webp"];
  const maxBytes = Number(body.dataset.maxBytes) || 5 * 1024 * 1024;
  const maxMb = String(Math.round((maxBytes / (1024 * 1024)) * 10) / 10);

  let strings = {};
  try {
    strings = JSON.parse(body.dataset.strings || "{}");
  } catch (_) {
    strings = {};
  }
  let lang = document.documentElement.lang || "vi";
  const seen = new Set();
  let botMessages = 0;
  let lastBotId = 0;
  let firstReady = true;
  // How the person last acted: focus follows new buttons for the keyboard (and on arrival), not for taps.
  let lastInput = "none";
  document.addEventListener("keydown", () => (lastInput = "keyboard"), true);
  document.addEventListener("pointerdown", () => (lastInput = "pointer"), true);

  // ---- Labels -------------------------------------------------------------------------------

  function t(key, params) {
    let text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    if (params) text = text.replace(/\{\{(\w+)\}\}/g, (_, name) => (params[name] === undefined ? "" : String(params[name])));
    return text;
  }

  function applyStrings() {
    document.documentElement.lang = lang;
    document.title = t("page.title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
    for (const el of document.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
    for (const el of document.querySelectorAll("[data-i18n-title]")) el.setAttribute("title", t(el.dataset.i18nTitle));
    for (const el of document.querySelectorAll(".who")) el.textContent = t(el.dataset.who === "bot" ? "page.bot" : "page.you") + ": ";
    for (const el of document.querySelectorAll(".choices")) el.setAttribute("aria-label", t("page.choices"));
    for (const button of document.querySelectorAll(".lang")) button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }

  /** Switches the page's own labels (the bot's language is switched by the conversation). */
  async function useLanguage(next) {
    if (!next || next === lang) return;
    try {
      const res = await fetch("/api/chat/strings?lang=" + encodeURIComponent(next), { credentials: "same-origin" });
      if (!res.ok) return;
      const data = await res.json();
      strings = data.strings;
      lang = next;
      applyStrings();
    } catch (_) {
      // Labels stay as they are; the conversation itself still works.
    }
  }

  // ---- Status line --------------------------------------------------------------------------

  function setStatus(text, isError) {
    statusEl.textContent = text || "";
    statusEl.classList.toggle("error", Boolean(text) && Boolean(isError));
  }
  function clearStatus(onlyInfo) {
    if (onlyInfo && statusEl.classList.contains("error")) return;
    setStatus("");
  }

  // ---- What this tab keeps (sessionStorage) --------------------------------------------------

  const STORE_KEY = "taimat.chat.v1";
  /** Items the person's side keeps at most (unsent ones are never dropped). */
  const MAX_ITEMS = 300;

  /**
   * items: what the person sent, in order — { id, kind: text|choice|location|photo|start, show (the
   * text of the bubble), body (the message without its id), after (the last bot message id seen when
   * it was made: where it goes in the conversation), state: pending|sent|refused }.
   * receipts: { [bot message id]: { text, done } } — a receipt kept for this tab; done once copied.
   */
  function loadStore() {
    try {
      const kept = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (kept && Array.isArray(kept.items) && kept.receipts && typeof kept.receipts === "object") return kept;
    } catch (_) {
      // storage unavailable or unreadable: start empty
    }
    return { items: [], receipts: {} };
  }
  const store = loadStore();

  function saveStore() {
    if (store.items.length > MAX_ITEMS) {
      const drop = store.items.length - MAX_ITEMS;
      let dropped = 0;
      store.items = store.items.filter((item) => !(dropped < drop && item.state !== "pending" && ++dropped));
    }
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(store));
    } catch (_) {
      // storage full or disabled: the page still works, only a reload would forget
    }
  }

  // ---- The conversation ---------------------------------------------------------------------

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  /** Shows the bot's new message: all of it with its buttons when they fit, else from its first line. */
  function reveal(message) {
    // The log is the messages' offset parent (position: relative), so offsetTop is within it.
    if (log.scrollHeight - message.offsetTop + 8 > log.clientHeight) log.scrollTop = message.offsetTop - 8;
    else log.scrollTop = log.scrollHeight;
  }

  /** Text with its line breaks kept and 113 / 114 / 115 as phone links. */
  function appendText(parent, text) {
    const re = /(^|[^\w.-])(11[345])(?!\w)/g;
    let last = 0;
    let match;
    while ((match = re.exec(text))) {
      const start = match.index + match[1].length;
      if (start > last) parent.append(document.createTextNode(text.slice(last, start)));
      const link = document.createElement("a");
      link.href = "tel:" + match[2];
      link.textContent = match[2];
      parent.append(link);
      last = start + match[2].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  // The typing indicator: shown once the server has a message, until the bot's next message.
  const typing = document.createElement("div");
  typing.className = "typing";
  typing.setAttribute("role", "status");
  const typingLabel = document.createElement("span");
  typingLabel.className = "visually-hidden";
  typing.append(typingLabel);
  for (let i = 0; i < 3; i++) typing.append(Object.assign(document.createElement("span"), { className: "dot" }));
  let typingTimer = null;
  function showTyping() {
    typingLabel.textContent = t("page.typing");
    typing.setAttribute("aria-label", t("page.typing"));
    log.append(typing);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 30000);
    scrollDown();
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    typing.remove();
  }
  /** Appends to the conversation, keeping the typing indicator last. */
  function append(el) {
    if (typing.isConnected) log.insertBefore(el, typing);
    else log.append(el);
  }

  function bubble(kind) {
    const el = document.createElement("div");
    el.className = "msg " + kind;
    if (kind !== "notice") {
      const who = document.createElement("span");
      who.className = "visually-hidden who";
      who.dataset.who = kind === "bot" ? "bot" : "me";
      who.textContent = t(kind === "bot" ? "page.bot" : "page.you") + ": ";
      el.append(who);
    }
    append(el);
    return el;
  }

  function clearChoices() {
    for (const el of log.querySelectorAll(".choices")) el.remove();
    locationButton.hidden = true;
  }

  function showChoices(choices, columns) {
    if (!choices || choices.length === 0) return;
    const group = document.createElement("div");
    group.className = "choices" + (columns === 2 ? " cols-2" : "");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("page.choices"));
    for (const choice of choices) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = choice.label;
      button.addEventListener("click", () => choose(choice));
      group.append(button);
    }
    append(group);
    // A keyboard user whose button just went away continues on the new buttons.
    const active = document.activeElement;
    const focusLost = !active || active === document.body || !active.isConnected;
    if (focusLost && lastInput !== "pointer") group.querySelector("button").focus({ preventScroll: true });
  }

  // ---- The person's messages ------------------------------------------------------------------

  /** Bubbles of the person's messages on the page, by message id. */
  const shown = new Map();
  /** Photos waiting to be sent, by message id (a Blob cannot be kept in sessionStorage). */
  const blobs = new Map();

  /** Marks a bubble as sent, not sent yet, or refused. */
  function markBubble(item, unsent) {
    const el = shown.get(item.id);
    if (!el) return;
    const state = item.state === "refused" ? "refused" : item.state === "pending" && unsent ? "unsent" : "";
    el.classList.toggle("unsent", state === "unsent");
    el.classList.toggle("refused", state === "refused");
    let mark = el.querySelector(".state");
    if (!state) {
      if (mark) mark.remove();
      return;
    }
    if (!mark) {
      mark = document.createElement("span");
      mark.className = "state";
      el.append(mark);
    }
    const label = item.kind === "photo" && item.state === "refused" && item.lost ? t("page.photo_lost") : t(state === "unsent" ? "page.unsent" : "page.refused");
    mark.textContent = (state === "unsent" ? "⏳ " : "⚠️ ") + label;
  }

  function renderItem(item) {
    if (item.kind === "start" || shown.has(item.id)) return;
    const el = bubble("me");
    el.dataset.id = item.id;
    const url = item.kind === "photo" ? blobs.get(item.id) && blobs.get(item.id).url : null;
    if (url) {
      const img = document.createElement("img");
      img.src = url;
      img.alt = t("page.photo_sent");
      el.append(img);
    } else {
      // A photo shown again after a reload: the file itself is not kept.
      appendText(el, item.kind === "photo" ? (item.state === "sent" ? "📷 " + t("page.photo_sent") : "📷") : item.show || "");
    }
    shown.set(item.id, el);
    markBubble(item, item.state === "pending" && item.unsent);
  }

  /** The person's messages that followed bot message `botId` (on a reload, in their place). */
  function renderAfter(botId) {
    for (const item of store.items) if (item.after === botId) renderItem(item);
  }

  // ---- Sending ------------------------------------------------------------------------------

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works on plain http too, unlike randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** Keeps the message, shows it, and sends it (after those before it). */
  function send(kind, bodyOfMessage, show) {
    const item = { id: newId(), kind, show: show || null, body: bodyOfMessage, after: lastBotId, state: "pending" };
    store.items.push(item);
    saveStore();
    renderItem(item);
    scrollDown();
    pump();
    return item;
  }

  function sendMessage(message, show) {
    return send(message.type, message, show);
  }

  let pumping = false;
  let retryTimer = null;
  let backoffMs = 1000;
  let refusedMessage = null;

  /** One attempt at sending `item`: "sent", "refused", "offline", or { waitMs } (the server asks to wait). */
  async function attempt(item) {
    let url = "/api/chat/messages";
    let payload;
    let type = "application/json";
    if (item.kind === "photo") {
      const kept = blobs.get(item.id);
      if (!kept) {
        item.lost = true; // chosen before a reload: the file itself was not kept
        return "refused";
      }
      url = "/api/chat/uploads?id=" + item.id;
      payload = kept.blob;
      type = kept.blob.type;
    } else {
      payload = JSON.stringify(Object.assign({ id: item.id }, item.body));
    }
    // The bot may answer before the acknowledgement arrives: then no typing indicator after it.
    item.botsAtSend = botMessages;
    // Not acknowledged within a few seconds: shown as not sent while it keeps trying.
    const slow = setTimeout(() => {
      item.unsent = true;
      markBubble(item, true);
    }, 3000);
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), item.kind === "photo" ? 90000 : 20000);
    let res = null;
    try {
      res = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        body: payload,
        headers: { "content-type": type, "x-tm-lang": lang },
        signal: abort.signal,
      });
    } catch (_) {
      res = null;
    } finally {
      clearTimeout(slow);
      clearTimeout(timeout);
    }
    if (!res || res.status >= 500) return "offline";
    if (res.ok) {
      // A repeat the server already had (an earlier answer was lost): its reply may have come already.
      try {
        const data = await res.json();
        if (data && data.duplicate === true) item.repeat = true;
      } catch (_) {
        // a 202 without a body is still an acknowledgement
      }
      return "sent";
    }
    let message = t("error.bad_request");
    try {
      const data = await res.json();
      if (data && typeof data.message === "string") message = data.message;
    } catch (_) {
      // keep the generic message
    }
    if (res.status === 429) {
      setStatus(message, true);
      const seconds = Number(res.headers.get("retry-after")) || 5;
      return { waitMs: Math.min(Math.max(seconds, 1), 600) * 1000 };
    }
    refusedMessage = message;
    return "refused";
  }

  /** Sends what is waiting, one at a time and in order: the conversation must see inputs as they were made. */
  async function pump() {
    if (pumping) return;
    pumping = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    try {
      for (;;) {
        const item = store.items.find((i) => i.state === "pending");
        if (!item) break;
        if (item.kind === "photo" && blobs.has(item.id)) setStatus(t("status.uploading"));
        const result = await attempt(item);
        if (result === "sent" || result === "refused") {
          item.state = result;
          delete item.unsent;
          if (result === "refused" && item.kind === "photo" && !item.lost) {
            // A photo the server will not take is taken back (the status says why).
            const el = shown.get(item.id);
            if (el) el.remove();
            shown.delete(item.id);
            store.items.splice(store.items.indexOf(item), 1);
          }
          const kept = blobs.get(item.id);
          if (kept && result === "refused") URL.revokeObjectURL(kept.url);
          blobs.delete(item.id);
          saveStore();
          markBubble(item, false);
          if (result === "sent") {
            backoffMs = 1000;
            setStatus("");
            if (!item.repeat && botMessages === item.botsAtSend) showTyping();
            delete item.repeat;
            delete item.botsAtSend;
          } else {
            setStatus(item.lost ? t("page.photo_lost") : refusedMessage || t("error.bad_request"), true);
            refusedMessage = null;
          }
          continue;
        }
        if (result && result.waitMs) {
          // The server asks to wait (too fast, or busy): the status says why; it is tried again then.
          item.unsent = true;
          markBubble(item, true);
          saveStore();
          retryTimer = setTimeout(pump, result.waitMs);
          break;
        }
        // Offline (or the server is down): everything waiting is marked, and tried again later.
        for (const waiting of store.items) {
          if (waiting.state !== "pending") continue;
          waiting.unsent = true;
          markBubble(waiting, true);
        }
        saveStore();
        setStatus(t("status.offline_kept"), true);
        retryTimer = setTimeout(pump, backoffMs);
        backoffMs = Math.min(backoffMs * 2, 15000);
        break;
      }
    } finally {
      pumping = false;
    }
  }

  /** Messages not acknowledged yet (the page warns before the tab is closed with any). */
  function waiting() {
    return store.items.some((i) => i.state === "pending");
  }

  // ---- The bot's messages -------------------------------------------------------------------

  /** The code and PIN lines of a receipt (what the copy button copies); the whole text if not found. */
  function secretLines(text) {
    const lines = text.split("\n").filter((line) => /TM-[A-Z0-9]{6}/.test(line) || /(^|\D)\d{6}(\D|$)/.test(line));
    return lines.length ? lines.map((line) => line.trim()).join("\n") : text;
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (_) {
      // fall back to a selection
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  /** A receipt kept for this tab: the text, a warning, "copy" and "hide" buttons. */
  function showReceipt(id, text) {
    const el = bubble("bot");
    el.classList.add("receipt");
    appendText(el, text);
    const box = document.createElement("div");
    box.className = "receipt-tools";
    const warning = document.createElement("p");
    warning.className = "warning";
    warning.textContent = t("page.receipt_warning");
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy";
    copy.textContent = t("page.copy");
    copy.addEventListener("click", async () => {
      const ok = await copyText(secretLines(text));
      setStatus(t(ok ? "page.copied" : "page.copy_failed"), !ok);
      if (ok && store.receipts[id]) {
        store.receipts[id].done = true;
        saveStore();
      }
    });
    const hide = document.createElement("button");
    hide.type = "button";
    hide.className = "hide";
    hide.textContent = t("page.hide_receipt");
    hide.addEventListener("click", () => {
      delete store.receipts[id];
      saveStore();
      const notice = document.createElement("div");
      notice.className = "msg notice";
      notice.textContent = t("page.scrubbed");
      el.replaceWith(notice);
      box.remove();
    });
    box.append(warning, copy, hide);
    append(box);
    return el;
  }

  function onBotMessage(event, live) {
    if (seen.has(event.id)) return;
    if (botMessages === 0) {
      // Before the first message shown: what the person sent before it (or anything still unsent from earlier).
      for (const item of store.items) if (item.after === 0 || (item.after < event.id && item.state === "pending")) renderItem(item);
    }
    seen.add(event.id);
    botMessages++;
    lastBotId = Math.max(lastBotId, event.id);
    hideTyping();
    clearChoices();
    let el;
    const kept = store.receipts[event.id];
    if (event.secret && !event.scrubbed) {
      store.receipts[event.id] = { text: event.text || "", done: false };
      saveStore();
      el = showReceipt(event.id, event.text || "");
    } else if (event.scrubbed) {
      // Delivered before: the server no longer has it. This tab may still keep it (until closed or hidden).
      if (kept) el = showReceipt(event.id, kept.text);
      else {
        el = bubble("notice");
        el.textContent = t("page.scrubbed");
      }
      showChoices([{ id: "menu:main", label: t("page.menu") }]);
    } else {
      el = bubble("bot");
      appendText(el, event.text || "");
    }
    if (!event.scrubbed) {
      if (event.urgent) {
        // Someone may be in danger: one large tap calls the police.
        const call = document.createElement("a");
        call.className = "call113";
        call.href = "tel:113";
        call.textContent = t("page.call_113");
        call.setAttribute("aria-label", t("page.call_113_label"));
        append(call);
      }
      showChoices(event.choices, event.columns);
      locationButton.hidden = event.ask !== "location";
      if (live && event.lang) useLanguage(event.lang);
    }
    renderAfter(event.id);
    reveal(el);
  }

  // ---- Event stream -------------------------------------------------------------------------

  /** Why the event stream was refused, shown to the person; resolves to how long to wait (ms). */
  async function probeStream() {
    try {
      const res = await fetch("/api/chat/events?probe=1", { credentials: "same-origin", headers: { "x-tm-lang": lang } });
      if (res.status === 429) {
        const seconds = Number(res.headers.get("retry-after")) || 5;
        try {
          const data = await res.json();
          if (data && typeof data.message === "string") setStatus(data.message, true);
        } catch (_) {
          // keep the offline status
        }
        return Math.min(Math.max(seconds, 1), 600) * 1000;
      }
    } catch (_) {
      // offline: try again later
    }
    return 5000;
  }

  function offline() {
    setStatus(t(waiting() ? "status.offline_kept" : "status.offline"), waiting());
  }

  function connect() {
    setStatus(t("status.connecting"));
    const source = new EventSource("/api/chat/events");
    source.addEventListener("message", (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch (_) {
        return;
      }
      onBotMessage(event, !firstReady);
    });
    source.addEventListener("ready", () => {
      clearStatus(true);
      if (firstReady) {
        firstReady = false;
        // Whatever the history did not place (its bot message is older than the history shown) but is unsent.
        for (const item of store.items) if (item.state === "pending") renderItem(item);
        // A new conversation: the bot greets first.
        if (botMessages === 0 && store.items.length === 0) send("start", { type: "start" });
      }
      // The connection is back: send what is waiting now.
      pump();
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up: the server was restarting, or refused the stream (429, too many
        // open or the service busy). EventSource cannot read why, so ask: the answer says (in
        // the page's language) and Retry-After says when to try again.
        offline();
        probeStream().then((waitMs) => setTimeout(connect, waitMs));
      } else {
        offline();
      }
    });
  }

  window.addEventListener("online", () => pump());
  // Closing the tab would lose what is not sent yet, and hide a receipt not copied: the browser asks first.
  window.addEventListener("beforeunload", (e) => {
    const receipt = Object.values(store.receipts).some((r) => !r.done);
    if (waiting() || receipt) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  // ---- Controls -----------------------------------------------------------------------------

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 3, 200) + "px";
  }

  function choose(choice) {
    clearChoices();
    const language = /^lang:(\w+)$/.exec(choice.id);
    if (language) useLanguage(language[1]);
    sendMessage({ type: "choice", choiceId: choice.id }, choice.label);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    if (text.trim() === "") {
      setStatus(t("error.empty"), true);
      input.focus();
      return;
    }
    input.value = "";
    autosize();
    sendMessage({ type: "text", text }, text);
  });

  input.addEventListener("keydown", (e) => {
    // Enter sends, Shift+Enter starts a new line; never while an input method (Telex, VNI…) is composing.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", autosize);

  for (const button of document.querySelectorAll(".lang")) {
    button.addEventListener("click", () => {
      const next = button.dataset.lang;
      if (next === lang) return;
      useLanguage(next);
      clearChoices();
      sendMessage({ type: "choice", choiceId: "lang:" + next }, button.textContent);
    });
  }

  locationButton.addEventListener("click", () => {
    if (!("geolocation" in navigator) || !window.isSecureContext) {
      setStatus(t("status.location_unavailable"), true);
      return;
    }
    setStatus(t("status.locating"));
    locationButton.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locationButton.disabled = false;
        clearStatus();
        clearChoices();
        sendMessage({ type: "location", latitude: position.coords.latitude, longitude: position.coords.longitude }, t("page.location_sent"));
      },
      (error) => {
        locationButton.disabled = false;
        setStatus(error.code === 1 ? t("status.location_denied") : t("status.location_unavailable"), true);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
    );
  });

  /** A photo over the limit is scaled down in the browser when it can be (phone photos often are). */
  async function shrink(file) {
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 2560 / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      for (const quality of [0.85, 0.7, 0.5]) {
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
        if (blob && blob.size <= maxBytes) return blob;
      }
    } catch (_) {
      // fall through: too large
    }
    return null;
  }

  photo.addEventListener("change", async () => {
    const file = photo.files && photo.files[0];
    photo.value = "";
    if (!file) return;
    if (!ACCEPTED.includes(file.type)) {
      setStatus(t("error.wrong_type"), true);
      return;
    }
    let upload = file;
    if (upload.size > maxBytes) upload = await shrink(file);
    if (!upload || upload.size > maxBytes) {
      setStatus(t("error.too_large", { max: maxMb }), true);
      return;
    }
    const id = newId();
    blobs.set(id, { blob: upload, url: URL.createObjectURL(upload) });
    const item = { id, kind: "photo", show: null, body: null, after: lastBotId, state: "pending" };
    store.items.push(item);
    saveStore();
    renderItem(item);
    scrollDown();
    pump();
  });

  applyStrings();
  connect();
})();
