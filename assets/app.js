// ringbook's only script: live updates (SSE), desktop notifications, copy buttons and password meters.
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

  // Call buttons (click-to-call): post the form in the background and show the answer beside it.
  // Without this the form posts normally and the server answers with a page saying the same.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f || !f.getAttribute || f.getAttribute("data-dial") !== "1" || !window.fetch) return;
    e.preventDefault();
    var out = f.querySelector(".dial-result");
    var btn = f.querySelector("button");
    if (btn) btn.disabled = true;
    fetch(f.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(f)).toString()
    })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (out) {
          out.textContent = j.message || "";
          out.className = "dial-result " + (j.ok ? "ok" : "error");
        }
      })
      .catch(function () { if (out) { out.textContent = "?"; out.className = "dial-result error"; } })
      .then(function () { if (btn) btn.disabled = false; });
  });

  // Password strength meters: a field that sets a password names its meter in data-meter. As the
  // user types, the server grades it with the rule the form's submit applies (POST /password-check);
  // answers to older keystrokes are dropped. Without script the meter stays hidden.
  document.querySelectorAll("input[data-meter]").forEach(function (input) {
    var box = document.getElementById(input.getAttribute("data-meter"));
    if (!box || !window.fetch) return;
    var bar = box.querySelector("meter");
    var text = box.querySelector(".meter-text");
    var timer = null;
    var asked = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      if (!input.value) { box.hidden = true; return; }
      timer = setTimeout(function () {
        var n = ++asked;
        var f = input.form;
        var user = input.getAttribute("data-meter-user");
        var named = f && f.elements.namedItem("name");
        if (user === null && named) user = named.value;
        var q = new URLSearchParams();
        q.set("password", input.value);
        q.set("user", user || "");
        var csrf = f && f.elements.namedItem("csrf");
        if (csrf) q.set("csrf", csrf.value);
        fetch("/password-check", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          body: q.toString()
        })
          .then(function (r) { return r.json(); })
          .then(function (j) {
            if (n !== asked || !input.value) return;
            bar.value = j.level || 0;
            text.textContent = j.message || "";
            box.className = "meter " + (j.ok ? "ok" : "error");
            box.hidden = false;
          })
          .catch(function () { box.hidden = true; });
      }, 250);
    });
  });

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

  // Whether the user is in the middle of something inside the live part: a ticked box, a changed
  // choice, text typed, or a field in use. Replacing the part would throw that away (the missed-call
  // list's ticks and assignments, while any call in the office comes in), so the refresh waits.
  function working(live) {
    var a = document.activeElement;
    if (a && live.contains(a) && /^(SELECT|TEXTAREA)$/.test(a.tagName)) return true;
    if (a && live.contains(a) && a.tagName === "INPUT" && !/^(checkbox|radio|hidden|submit|button)$/.test(a.type)) return true;
    var fields = live.querySelectorAll("input, select, textarea");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if ((f.type === "checkbox" || f.type === "radio") && f.checked !== f.defaultChecked) return true;
      if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) return true;
        }
      } else if (f.type !== "checkbox" && f.type !== "radio" && f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // Refresh the live part of the page (#live) from the server, at most every second, and not while
  // the user works in it (then it checks again a second later).
  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      var live = document.getElementById("live");
      if (!live) return;
      if (working(live)) { refresh(); return; }
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

  // Whether the user is typing into this page: then nothing navigates away by itself.
  function busy() {
    var a = document.activeElement;
    if (a && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && a.type !== "hidden" && a.type !== "checkbox"))) return true;
    var fields = document.querySelectorAll("textarea, input[type=text], input:not([type])");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) return true;
    }
    return false;
  }

  // The in-page pop-up for a ringing call: the caller, the screen-pop actions (open the contact, or
  // create one from this call) and the call itself. An action whose triggerImmediately is set opens
  // by itself, unless the user is typing. Built with textContent only: caller names are untrusted.
  function callPop(ev) {
    var old = document.getElementById("call-pop");
    if (old) old.remove();
    var labels = ev.labels || {};
    var box = document.createElement("aside");
    box.id = "call-pop";
    box.className = "call-pop";
    box.setAttribute("role", "alert");
    var who = document.createElement("a");
    who.className = "who";
    who.textContent = ev.title || body.getAttribute("data-t-incoming");
    var actions = ev.actions || [];
    var onClick = actions.filter(function (a) { return a.triggerOnAbonentClick; })[0];
    who.href = onClick ? onClick.url : ev.url;
    box.appendChild(who);
    var line = document.createElement("div");
    line.className = "muted";
    line.textContent = ev.body || "";
    box.appendChild(line);
    var row = document.createElement("div");
    row.className = "actions";
    actions.forEach(function (a) {
      var b = document.createElement("a");
      b.className = "button small pop-action";
      b.setAttribute("data-type", a.type);
      b.href = a.url;
      b.textContent = a.title;
      row.appendChild(b);
    });
    var call = document.createElement("a");
    call.className = "button small secondary";
    call.href = ev.url;
    call.textContent = labels.open_call || "#" + ev.id;
    row.appendChild(call);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "small secondary";
    close.textContent = labels.close || "×";
    close.addEventListener("click", function () { box.remove(); });
    row.appendChild(close);
    box.appendChild(row);
    body.appendChild(box);
    var auto = actions.filter(function (a) { return a.triggerImmediately; })[0];
    if (auto && !busy() && window.location.pathname + window.location.search !== auto.url) {
      window.location.href = auto.url;
    }
  }

  if (!("EventSource" in window)) return;
  var es = new EventSource("/events");
  es.addEventListener("call", function (m) {
    var ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    refresh();
    if (ev.notify) callPop(ev);
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
