// ringbook's only script: live updates (SSE), desktop notifications and copy buttons.
// Loaded as a file (the CSP forbids inline script). Everything works without it except live updates.
(function () {
  "use strict";
  var body = document.body;

  // Copy buttons: copy the text of the element named by data-copy.
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button[data-copy]") : null;
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent).then(function () {
      var old = b.textContent;
      b.textContent = b.getAttribute("data-done") || old;
      setTimeout(function () { b.textContent = old; }, 1500);
    });
  });

  // Confirm before destructive buttons.
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-confirm]") : null;
    if (b && !window.confirm(b.getAttribute("data-confirm"))) e.preventDefault();
  });

  // Selects that submit their form on change (the language chooser).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  // Import: read a chosen file into the text area, so the form posts plain text.
  var file = document.getElementById("import-file");
  var area = document.getElementById("import-text");
  if (file && area) {
    file.addEventListener("change", function () {
      var f = file.files && file.files[0];
      if (!f) return;
      var r = new FileReader();
      r.onload = function () { area.value = r.result; };
      r.readAsText(f);
    });
  }

  if (!body || body.getAttribute("data-live") !== "1") return;

  // Notifications need a user gesture to ask (Firefox), hence the button.
  var btn = document.getElementById("notify-btn");
  function showButton() {
    if (!btn || !("Notification" in window)) return;
    btn.hidden = false;
    if (Notification.permission === "granted") {
      btn.textContent = body.getAttribute("data-t-on");
      btn.disabled = true;
    } else if (Notification.permission === "denied") {
      btn.textContent = body.getAttribute("data-t-denied");
      btn.disabled = true;
    }
  }
  if (btn) {
    btn.addEventListener("click", function () {
      Notification.requestPermission().then(showButton);
    });
  }
  showButton();

  // Refresh the live part of the page (#live) from the server, at most every second.
  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      var live = document.getElementById("live");
      if (!live) return;
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("live");
          if (fresh) live.replaceWith(fresh);
        });
    }, 1000);
  }

  if (!("EventSource" in window)) return;
  var es = new EventSource("/events");
  es.addEventListener("call", function (m) {
    var ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    refresh();
    if (ev.notify && "Notification" in window && Notification.permission === "granted") {
      var n = new Notification(ev.title || body.getAttribute("data-t-incoming"), {
        body: ev.body,
        tag: "call-" + ev.id
      });
      n.onclick = function () {
        window.focus();
        window.location.href = ev.url;
        n.close();
      };
    }
  });
})();
