// The console's queue refreshes itself: it polls the JSON endpoint every few seconds and replaces
// the groups when they changed (server-rendered, escaped HTML). Live push is later work.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box) return;
  var source = box.getAttribute("data-source");
  var version = null;
  function busy() {
    // Never replace the list under a control the person is using.
    var active = document.activeElement;
    return active && box.contains(active) && active.tagName === "SELECT";
  }
  function poll() {
    fetch(source, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (res) {
        if (res.status === 401) { window.location.href = "/console/login"; return null; }
        return res.ok ? res.json() : null;
      })
      .then(function (data) {
        if (!data) return;
        if (version !== null && data.version !== version && !busy()) box.innerHTML = data.html;
        version = busy() ? version : data.version;
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
