// The outreach pages' small script (the pages work without it):
// - parts marked data-live="URL" refresh themselves: the JSON endpoint answers {version, html}
//   (server-rendered, escaped HTML) and the part is replaced when it changed;
// - the campaign composer asks /console/api/outreach/check for the live recipient count and how
//   the schedule was understood whenever a field changes (the "count" button does the same
//   without JavaScript).
(function () {
  "use strict";
  function busy(box) {
    // Never replace a part under a control the person is using.
    var active = document.activeElement;
    return active && active !== document.body && box.contains(active);
  }
  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } }).then(function (res) {
      if (res.status === 401) { window.location.href = "/console/login"; return null; }
      if (res.status === 403 || res.status === 404) return { stop: true };
      return res.ok ? res.json() : null;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), function (box) {
    var source = box.getAttribute("data-live");
    // The version the part was rendered with: any later change is shown, even one made before the first poll.
    var version = box.getAttribute("data-version");
    function poll() {
      getJson(source)
        .then(function (data) {
          if (data && data.stop) return "stop";
          if (!data) return null;
          if (data.version !== version && !busy(box)) {
            box.innerHTML = data.html;
            version = data.version;
          }
          return null;
        })
        .catch(function () { return null; })
        .then(function (what) { if (what !== "stop") window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 3000);
  });

  var form = document.getElementById("composer");
  var out = document.getElementById("check");
  if (!form || !out || !window.FormData || !window.URLSearchParams) return;
  var url = form.getAttribute("data-check");
  var timer = null;
  var asked = 0;
  function check() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf" && name !== "intent" && typeof value === "string") params.append(name, value);
    });
    var mine = ++asked;
    getJson(url + "&" + params.toString())
      .then(function (data) {
        // Only the answer to the latest question is shown.
        if (data && !data.stop && mine === asked) out.innerHTML = data.html;
      })
      .catch(function () {});
  }
  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 250);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
