// Tai Mắt web chat. Plain JavaScript, no framework, nothing loaded from elsewhere.
// Messages from the bot arrive over Server-Sent Events (/api/chat/events); what the person does is
// POSTed to /api/chat/messages (JSON) or /api/chat/uploads (a photo). Message text is always put
// in the page as text nodes, never as HTML.
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

  // ---- Sending ------------------------------------------------------------------------------

  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works on plain http too, unlike randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // One request at a time, in order: the conversation must see inputs in the order they were made.
  let queue = Promise.resolve();
  function enqueue(task) {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  /** Sends a request, retrying network failures and 5xx with the same id (the server drops repeats). */
  async function request(url, init) {
    for (let attempt = 0; ; attempt++) {
      let res = null;
      try {
        res = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          body: init.body,
          headers: Object.assign({ "x-tm-lang": lang }, init.headers),
        });
      } catch (_) {
        res = null;
      }
      if (res && res.status < 500) {
        if (res.ok) {
          if (statusEl.classList.contains("error")) setStatus("");
          return true;
        }
        let message = t("error.bad_request");
        try {
          const data = await res.json();
          if (data && typeof data.message === "string") message = data.message;
        } catch (_) {
          // keep the generic message
        }
        setStatus(message, true);
        return false;
      }
      if (attempt >= 3) {
        setStatus(t("status.send_failed"), true);
        return false;
      }
      await sleep(600 * 2 ** attempt);
    }
  }

  function sendMessage(message) {
    const payload = JSON.stringify(Object.assign({ id: newId() }, message));
    return enqueue(() => request("/api/chat/messages", { body: payload, headers: { "content-type": "application/json" } }));
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
    log.append(el);
    return el;
  }

  function addUserText(text) {
    const el = bubble("me");
    appendText(el, text);
    scrollDown();
    return el;
  }

  function addUserPhoto(url) {
    const el = bubble("me");
    const img = document.createElement("img");
    img.src = url;
    img.alt = t("page.photo_sent");
    el.append(img);
    scrollDown();
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
    log.append(group);
    // A keyboard user whose button just went away continues on the new buttons.
    const active = document.activeElement;
    const focusLost = !active || active === document.body || !active.isConnected;
    if (focusLost && lastInput !== "pointer") group.querySelector("button").focus({ preventScroll: true });
  }

  function choose(choice) {
    clearChoices();
    addUserText(choice.label);
    const language = /^lang:(\w+)$/.exec(choice.id);
    if (language) useLanguage(language[1]);
    sendMessage({ type: "choice", choiceId: choice.id });
  }

  function onBotMessage(event, live) {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    botMessages++;
    clearChoices();
    let el;
    if (event.scrubbed) {
      el = bubble("notice");
      el.textContent = t("page.scrubbed");
      showChoices([{ id: "menu:main", label: t("page.menu") }]);
    } else {
      el = bubble("bot");
      appendText(el, event.text || "");
      showChoices(event.choices, event.columns);
      locationButton.hidden = event.ask !== "location";
      if (live && event.lang) useLanguage(event.lang);
    }
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
        // A new conversation: the bot greets first.
        if (botMessages === 0) sendMessage({ type: "start" });
      }
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up: the server was restarting, or refused the stream (429, too many
        // open or the service busy). EventSource cannot read why, so ask: the answer says (in
        // the page's language) and Retry-After says when to try again.
        setStatus(t("status.offline"));
        probeStream().then((waitMs) => setTimeout(connect, waitMs));
      } else {
        setStatus(t("status.offline"));
      }
    });
  }

  // ---- Controls -----------------------------------------------------------------------------

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 3, 200) + "px";
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
    addUserText(text);
    sendMessage({ type: "text", text });
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
      addUserText(button.textContent);
      sendMessage({ type: "choice", choiceId: "lang:" + next });
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
        addUserText(t("page.location_sent"));
        sendMessage({ type: "location", latitude: position.coords.latitude, longitude: position.coords.longitude });
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
    const url = URL.createObjectURL(upload);
    const el = addUserPhoto(url);
    setStatus(t("status.uploading"));
    const id = newId();
    const ok = await enqueue(() => request("/api/chat/uploads?id=" + id, { body: upload, headers: { "content-type": upload.type } }));
    if (ok) {
      clearStatus(true);
    } else {
      el.remove();
      URL.revokeObjectURL(url);
    }
  });

  applyStrings();
  connect();
})();
