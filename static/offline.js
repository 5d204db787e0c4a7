/* kehoach — working without a connection. No framework; docs/offline.md explains the design.
 *
 * Loaded by every page and, through importScripts, by the service worker (/sw.js), which uses
 * only the queue and the sending (for Background Sync). In a page it also:
 *  - keeps the officer's pages on the phone (the list from /offline/state) in the Cache API;
 *  - queues a form (log, unplanned activity, monthly statistics) or a photo submitted without a
 *    connection in IndexedDB, each entry with the idempotency key made here, and sends the
 *    queue when the connection returns, on the next visit or with "Gửi ngay";
 *  - lists the queue on the home page ("Chờ gửi"), reopens an entry the server refused (422:
 *    the form with its values and messages; 409: both versions), asks before signing out with
 *    entries not yet sent, and asks to sign in again when the session has expired. */
(function (g) {
  "use strict";
  var DB = "kehoach-offline", STORE = "queue", PAGES = "kehoach-pages";
  var SAVED_AT = "x-kehoach-saved-at", SYNC_TAG = "kehoach-queue";
  /* Photos are reduced on the phone to this longest side (JPEG): small enough to queue and
   * send over a weak signal, well inside what the server keeps (10 MB, 50 MP). */
  var PHOTO_SIDE = 2048, PHOTO_QUALITY = 0.85;

  function open() {
    return new Promise(function (ok, ko) {
      var r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: "key" }); };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { ko(r.error); };
    });
  }
  function run(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (ok, ko) {
        var t = db.transaction(STORE, mode), req = fn(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); ok(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { db.close(); ko(t.error); };
      });
    });
  }
  var queue = {
    all: function () { return run("readonly", function (s) { return s.getAll(); }); },
    put: function (e) { return run("readwrite", function (s) { return s.put(e); }); },
    remove: function (key) { return run("readwrite", function (s) { return s.delete(key); }); },
    get: function (key) { return run("readonly", function (s) { return s.get(key); }); }
  };

  function newKey() {
    if (g.crypto && g.crypto.randomUUID) return g.crypto.randomUUID();
    var b = new Uint8Array(16);
    g.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  /* A copy of a response marked with the time it was kept; the service worker shows that time
   * ("cập nhật lúc …") when it serves the copy without a connection. */
  function stamped(res, when) {
    var h = new Headers(res.headers);
    h.set(SAVED_AT, when || new Date().toISOString());
    return res.blob().then(function (b) {
      return new Response(b, { status: res.status, statusText: res.statusText, headers: h });
    });
  }

  /* The signed-in user, a fresh CSRF token and the pages to keep; null when signed out. */
  function state() {
    return fetch("/offline/state", { credentials: "same-origin", redirect: "manual", cache: "no-store" })
      .then(function (r) {
        if (r.type === "opaqueredirect" || r.status === 401 || !r.ok) return null;
        return r.json();
      });
  }

  function body(e, csrf) {
    if (e.kind === "photo") {
      var fd = new FormData();
      e.fields.forEach(function (p) { if (p[0] !== "csrf_token") fd.append(p[0], p[1]); });
      fd.append(e.file_field, e.photo, e.photo_name);
      return fd;
    }
    var u = new URLSearchParams();
    e.fields.forEach(function (p) { if (p[0] !== "csrf_token") u.append(p[0], p[1]); });
    u.append("csrf_token", csrf);
    return u;
  }

  /* Sends the waiting entries of this user, oldest first. Resolves to
   * { sent, refused, login } — login: the session has expired, nothing was sent. */
  var flushing = null;
  function flush() {
    if (flushing) return flushing;
    flushing = doFlush().then(function (r) { flushing = null; return r; }, function (err) { flushing = null; throw err; });
    return flushing;
  }
  function doFlush() {
    var out = { sent: 0, refused: 0, login: false };
    return queue.all().then(function (all) {
      var waiting = all.filter(function (e) { return e.state === "waiting" || e.state === "unconfirmed"; })
        .sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
      if (!waiting.length) return out;
      return state().then(function (st) {
        if (!st) { out.login = true; return out; }
        var mine = waiting.filter(function (e) { return e.user_id === st.user_id; });
        var post = function (e) {
          var action = e.action;
          if (e.kind === "photo") action += (action.indexOf("?") < 0 ? "?" : "&") + "csrf_token=" + encodeURIComponent(st.csrf_token);
          return fetch(action, {
            method: "POST", body: body(e, st.csrf_token), credentials: "same-origin",
            /* The copy of a form sent as usual is only checked: its answer's page is not needed. */
            redirect: e.state === "unconfirmed" ? "manual" : "follow",
            headers: { "Idempotency-Key": e.key, "X-CSRF-Token": st.csrf_token }
          });
        };
        /* A 409 may only mean that the same entry is being sent at this moment by the other
         * side (the page and the worker's Background Sync both wake when the signal returns):
         * asked again a moment later, that one answers as the first time; a real conflict
         * stays a 409. */
        var attempt = function (e) {
          return post(e).then(function (r) {
            if (r.status !== 409) return r;
            return new Promise(function (ok) { setTimeout(ok, 1500); }).then(function () { return post(e); });
          });
        };
        var step = function (i) {
          if (i >= mine.length) return out;
          var e = mine[i];
          return attempt(e).then(function (r) {
            if (r.redirected && new URL(r.url).pathname === "/login") { out.login = true; return out; }
            /* A write that succeeded answers with a redirect; a form shown again with 200 (the
             * statistics' "more lines") saved nothing, and goes back to the officer. */
            if ((r.ok && r.redirected) || r.type === "opaqueredirect") {
              if (e.state !== "unconfirmed") out.sent++;
              return queue.remove(e.key).then(function () { return step(i + 1); });
            }
            if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)) {
              return r.text().then(function (html) {
                e.state = r.status === 409 ? "conflict" : "refused";
                e.status = r.status;
                e.html = html;
                out.refused++;
                /* Kept only if the other side has not sent it meanwhile. */
                return queue.get(e.key).then(function (still) { return still ? queue.put(e) : null; });
              }).then(function () { return step(i + 1); });
            }
            return out; /* the server is busy or away: try again later */
          });
        };
        return step(0);
      });
    });
  }

  /* Keeps this user's pages (the list from /offline/state) in the Cache API, three at a time.
   * Run by the service worker, so that these fetches weigh on no page. Resolves to whether
   * there was a signed-in user. */
  function keep() {
    return state().then(function (st) {
      if (!st) return false;
      return caches.open(PAGES).then(function (cache) {
        var urls = st.pages.slice();
        var next = function () {
          var u = urls.shift();
          if (!u) return null;
          return fetch(u, { credentials: "same-origin" }).then(function (r) {
            if (!r.ok || r.redirected) return null;
            return stamped(r, st.updated_at).then(function (c) { return cache.put(u, c); });
          }).catch(function () {}).then(next);
        };
        return Promise.all([next(), next(), next()]);
      }).then(function () { return true; });
    });
  }

  g.KehoachOffline = { queue: queue, flush: flush, keep: keep, stamped: stamped, SYNC_TAG: SYNC_TAG, PAGES: PAGES };
  if (typeof document === "undefined") return; /* the service worker stops here */

  /* ---- In a page ---- */
  /* The texts, translated by the server into the page (base.html, #offline-texts). */
  var texts = document.getElementById("offline-texts");
  function t(key, args) {
    var s = (texts && texts.getAttribute("data-" + key.replace("offline.", ""))) || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split("{" + k + "}").join(args[k]); });
    return s;
  }
  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text != null) n.textContent = text;
    return n;
  }
  function when(iso) {
    var d = new Date(iso), p = function (x) { return (x < 10 ? "0" : "") + x; };
    return p(d.getHours()) + ":" + p(d.getMinutes()) + " " + p(d.getDate()) + "/" + p(d.getMonth() + 1) + "/" + d.getFullYear();
  }
  var userId = Number(document.body.getAttribute("data-user")) || null;

  function notice(text, cls) {
    var main = document.getElementById("main");
    if (!main) return;
    var n = el("div", { "class": cls || "notice", role: "status" }, text);
    main.insertBefore(n, main.firstChild);
  }

  /* What the officer typed, with the labels they saw, for the "Chờ gửi" list. */
  function described(form) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!f.name || f.type === "hidden" || f.type === "submit" || f.type === "file" || !f.value) return;
      if ((f.type === "checkbox" || f.type === "radio") && !f.checked) return;
      var label = f.id && form.querySelector("label[for='" + f.id + "']");
      var text = label ? label.textContent.trim() : (f.closest("label") ? f.closest("label").textContent.trim() : f.name);
      out.push([text, f.tagName === "SELECT" && f.selectedIndex >= 0 ? f.options[f.selectedIndex].text : (f.type === "checkbox" ? "✓" : f.value)]);
    });
    return out;
  }
  function pairs(form, submitter) {
    var out = [], fd;
    try { fd = new FormData(form, submitter || null); } catch (err) { fd = new FormData(form); }
    fd.forEach(function (v, k) { if (typeof v === "string") out.push([k, v]); });
    return out;
  }
  function heading() {
    var h = document.querySelector("main .meta a") || document.querySelector("main h1");
    return h ? h.textContent.trim() : document.title;
  }
  function path(form) {
    var u = new URL(form.getAttribute("action") || location.pathname, location.href);
    u.searchParams.delete("csrf_token");
    return u.pathname + u.search;
  }
  function askSync() {
    if (navigator.serviceWorker && g.SyncManager) {
      navigator.serviceWorker.ready.then(function (reg) { return reg.sync.register(SYNC_TAG); }).catch(function () {});
    }
  }
  function hold(entry) {
    return queue.put(entry).then(function () { askSync(); location.href = "/"; });
  }

  function reduce(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !g.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file).then(function (img) {
      var k = Math.min(1, PHOTO_SIDE / Math.max(img.width, img.height));
      var c = el("canvas");
      c.width = Math.round(img.width * k);
      c.height = Math.round(img.height * k);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      return new Promise(function (ok) { c.toBlob(function (b) { ok(b || file); }, "image/jpeg", PHOTO_QUALITY); });
    }).catch(function () { return file; });
  }

  function onSubmit(ev) {
    var form = ev.target, keyField = form.querySelector("[data-idempotency]");
    if (keyField && !keyField.value) keyField.value = newKey();
    var reopened = form.getAttribute("data-queue-key");
    var entry = {
      key: reopened || (keyField ? keyField.value : newKey()), user_id: userId, kind: "form",
      action: path(form), fields: pairs(form, ev.submitter), shown: described(form), title: heading(),
      page: location.pathname + location.search, saved_at: new Date().toISOString(), state: "waiting"
    };
    if (navigator.onLine && !reopened) {
      /* Sent as usual (a double tap carries the same key). A copy is noted first: should the
       * phone believe it is online with no data getting through, the entry is not lost; when
       * it did get through, sending the copy again is answered from the stored answer. */
      if (keyField) {
        entry.state = "unconfirmed";
        queue.put(entry).catch(function () {});
      }
      return;
    }
    ev.preventDefault();
    if (keyField && reopened) keyField.value = reopened;
    var file = form.querySelector("input[type=file]");
    if (file) {
      if (!file.files.length) return;
      entry.kind = "photo";
      entry.file_field = file.name;
      entry.photo_name = file.files[0].name.replace(/\.[^.]*$/, "") + ".jpg";
      entry.shown.unshift([t("offline.photo"), file.files[0].name]);
      reduce(file.files[0]).then(function (b) { entry.photo = b; return hold(entry); });
      return;
    }
    if (reopened) {
      queue.put(entry).then(function () { return navigator.onLine ? flush() : null; })
        .then(function () { location.href = "/"; });
      return;
    }
    hold(entry);
  }

  function bind(root) {
    Array.prototype.forEach.call(root.querySelectorAll("form"), function (f) {
      if (f.querySelector("[data-idempotency]") || f.classList.contains("evidence-upload") || f.hasAttribute("data-queue-key")) {
        f.addEventListener("submit", onSubmit);
      }
    });
  }

  /* An entry the server refused, shown as the server answered: the form with the values and
   * messages (422) or both versions (409). Sending it again replaces the entry. */
  function reopen(e) {
    var doc = new DOMParser().parseFromString(e.html || "", "text/html");
    var main = document.getElementById("main"), theirs = doc.getElementById("main");
    if (!main || !theirs) return;
    main.innerHTML = theirs.innerHTML;
    Array.prototype.forEach.call(main.querySelectorAll("form[method=post]"), function (f) {
      f.setAttribute("data-queue-key", e.key);
      f.addEventListener("submit", onSubmit);
      /* A refused photo comes back in its form, ready to be sent again. */
      var file = f.querySelector("input[type=file]");
      if (file && e.photo && g.DataTransfer) {
        try {
          var dt = new DataTransfer();
          dt.items.add(new File([e.photo], e.photo_name, { type: e.photo.type || "image/jpeg" }));
          file.files = dt.files;
        } catch (err) { /* the officer picks the photo again */ }
      }
    });
    notice(t("offline.reopened", { time: when(e.saved_at) }), "alert");
    g.scrollTo(0, 0);
  }

  var loginNeeded = false;
  function render() {
    var box = document.getElementById("offline-queue");
    if (!box) return Promise.resolve();
    return queue.all().then(function (all) {
      var mine = all.filter(function (e) { return !userId || e.user_id === userId; });
      box.innerHTML = "";
      box.hidden = !mine.length;
      if (!mine.length) return;
      box.appendChild(el("h2", {}, t("offline.waiting")));
      if (loginNeeded) {
        var p = el("p", { "class": "alert", role: "alert" }, t("offline.login_needed") + " ");
        p.appendChild(el("a", { href: "/login?next=%2F" }, t("offline.login")));
        box.appendChild(p);
      }
      var list = el("ul", { "class": "act-list" });
      mine.forEach(function (e) {
        var li = el("li", { "class": "act-card", "data-queue": e.state });
        var div = el("div", { "class": "act-main" });
        div.appendChild(el("strong", {}, e.title));
        var badge = e.state === "waiting" || e.state === "unconfirmed" ? "offline.state_waiting" : e.state === "conflict" ? "offline.state_conflict" : "offline.state_refused";
        div.appendChild(el("div", { "class": "meta" }, t(badge) + " · " + t("offline.saved_at", { time: when(e.saved_at) })));
        var dl = el("dl", { "class": "meta" });
        (e.shown || []).forEach(function (p) { dl.appendChild(el("dt", {}, p[0])); dl.appendChild(el("dd", {}, p[1])); });
        div.appendChild(dl);
        if (e.state !== "waiting") {
          var b = el("button", { type: "button" }, t("offline.open"));
          b.addEventListener("click", function () { reopen(e); });
          div.appendChild(b);
        }
        var x = el("button", { type: "button", "class": "linkish" }, t("offline.discard"));
        x.addEventListener("click", function () {
          if (g.confirm(t("offline.discard_confirm"))) queue.remove(e.key).then(render);
        });
        div.appendChild(x);
        li.appendChild(div);
        list.appendChild(li);
      });
      box.appendChild(list);
      if (mine.some(function (e) { return e.state === "waiting" || e.state === "unconfirmed"; })) {
        var now = el("button", { type: "button", id: "offline-send" }, t("offline.send_now"));
        now.addEventListener("click", function () { send(true); });
        box.appendChild(now);
      }
    });
  }

  function send(asked) {
    if (!navigator.onLine) {
      if (asked) notice(t("offline.still_offline"), "alert");
      return Promise.resolve();
    }
    return flush().then(function (r) {
      loginNeeded = r.login;
      if (r.sent) {
        notice(t("offline.sent", { count: r.sent }));
      }
      if (r.refused) notice(t("offline.refused", { count: r.refused }), "alert");
      return render();
    }).catch(function () {});
  }

  /* Asks the service worker to keep this user's pages on the phone, at most every half hour.
   * Marks <html data-offline-ready> when done (or when there is nothing to do). */
  function refresh() {
    var ready = function () { document.documentElement.setAttribute("data-offline-ready", "1"); };
    var last = Number(localStorage.getItem("kehoach-kept-at") || 0);
    if (!navigator.onLine || !navigator.serviceWorker || Date.now() - last < 30 * 60 * 1000) { ready(); return; }
    navigator.serviceWorker.ready.then(function (reg) {
      var ch = new MessageChannel();
      ch.port1.onmessage = function (m) {
        if (m.data && m.data.kept) localStorage.setItem("kehoach-kept-at", String(Date.now()));
        ready();
      };
      reg.active.postMessage({ type: "keep" }, [ch.port2]);
    }).catch(ready);
  }

  function start() {
    if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    var saved = document.body.getAttribute("data-saved-at");
    if (saved) notice(t("offline.cached", { time: when(saved) }));
    bind(document);
    var logout = document.querySelector("form[action='/logout']");
    if (logout) {
      logout.addEventListener("submit", function (ev) {
        queue.all().then(function (all) {
          var n = all.filter(function (e) { return e.user_id === userId; }).length;
          if (n && !g.confirm(t("offline.logout_confirm", { count: n }))) return;
          if (g.caches) caches.delete(PAGES);
          localStorage.removeItem("kehoach-kept-at");
          logout.submit();
        });
        ev.preventDefault();
      });
    }
    g.addEventListener("online", function () { send(false); });
    /* A form the server showed again (a rule, a conflict) carries its key: the copy noted when
     * it was sent is the officer's to correct here, not the queue's to send. */
    var shown = Array.prototype.map.call(document.querySelectorAll("input[name=idempotency_key]"),
      function (i) { return i.value; }).filter(Boolean);
    Promise.all(shown.map(function (k) {
      return queue.get(k).then(function (e) { return e && e.state === "unconfirmed" ? queue.remove(k) : null; });
    })).catch(function () {}).then(render).catch(function () {}).then(function () { return userId ? send(false) : null; }).then(function () {
      return userId ? refresh() : null;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(typeof self !== "undefined" ? self : this);
