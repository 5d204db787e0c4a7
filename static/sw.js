/* kehoach service worker, served at /sw.js (scope: the whole app). docs/offline.md explains it.
 * Static files: cache first (their address carries the release). The pages kept on the phone:
 * network first, and without a connection (or past PATIENCE_MS) the copy kept, marked with the
 * time it was kept. Writes
 * are never touched here: offline.js queues them; Background Sync sends the queue. */
"use strict";
var VERSION = "__VERSION__";
var TEXTS = {} /*__TEXTS__*/;
var STATIC = "kehoach-static-" + VERSION;
var ASSETS = ["app.css", "app.js", "offline.js", "running-totals.js", "favicon.svg", "icon-192.png", "manifest.webmanifest"]
  .map(function (f) { return "/static/" + f + "?v=" + VERSION; });
/* A page that does not answer within this time is served from the phone's copy. */
var PATIENCE_MS = 8000;

importScripts("/static/offline.js?v=" + VERSION);
var O = self.KehoachOffline;

/* The addresses of the pages kept on the phone. Only those pages, or any page when the phone
 * knows it has no connection, go through this worker; every other page loads as if there were
 * no worker at all. */
var kept = new Set();
function remember() {
  return caches.open(O.PAGES).then(function (c) { return c.keys(); })
    .then(function (ks) { kept = new Set(ks.map(function (k) { return k.url; })); });
}
remember();

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("kehoach-static-") === 0 && n !== STATIC; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (ev) {
  if (!ev.data || ev.data.type !== "keep" || !ev.ports[0]) return;
  var port = ev.ports[0];
  ev.waitUntil(O.keep().then(function (done) { return remember().then(function () { port.postMessage({ kept: done }); }); },
    function (err) { port.postMessage({ kept: false, error: String(err) }); }));
});

self.addEventListener("sync", function (ev) {
  if (ev.tag === O.SYNC_TAG) ev.waitUntil(O.flush());
});

self.addEventListener("fetch", function (ev) {
  var req = ev.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) { ev.respondWith(cacheFirst(req)); return; }
  if (req.mode === "navigate" && (!self.navigator.onLine || kept.has(req.url))) ev.respondWith(networkFirst(req));
});

function cacheFirst(req) {
  return caches.open(STATIC).then(function (c) {
    return c.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok) c.put(req, res.clone());
        return res;
      });
    });
  });
}

function networkFirst(req) {
  var net = fetch(req).then(function (res) {
    /* A page already kept is kept fresh whenever it is visited. */
    if (res.ok && !res.redirected) {
      var copy = res.clone();
      caches.open(O.PAGES).then(function (c) {
        return c.match(req).then(function (had) { if (had) return O.stamped(copy).then(function (s) { return c.put(req, s); }); });
      }).catch(function () {});
    }
    return res;
  });
  var slow = new Promise(function (ok, ko) { setTimeout(function () { ko(new Error("slow")); }, PATIENCE_MS); });
  return Promise.race([net, slow]).catch(function () {
    return caches.open(O.PAGES).then(function (c) { return c.match(req); }).then(function (hit) {
      if (hit) return fromCopy(hit);
      return net.catch(function () { return missing(); });
    });
  });
}

/* The kept page, telling offline.js when it was kept ("cập nhật lúc …"). */
function fromCopy(res) {
  var at = res.headers.get("x-kehoach-saved-at") || "";
  return res.text().then(function (html) {
    var h = new Headers(res.headers);
    return new Response(html.replace('data-saved-at=""', 'data-saved-at="' + at.replace(/[^0-9TZ:.+-]/g, "") + '"'),
      { status: 200, headers: h });
  });
}

function missing() {
  /* The user's language is not known here: Vietnamese first, then English. */
  var vi = TEXTS.vi || {}, en = TEXTS.en || {};
  var esc = function (s) { return String(s || "").replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); };
  var html = "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>kehoach</title><link rel=\"stylesheet\" href=\"/static/app.css?v=" + VERSION + "\"><main id=\"main\">" +
    "<p class=\"notice\">" + esc(vi["offline_mode.no_copy"]) + "</p><p class=\"notice\" lang=\"en\">" + esc(en["offline_mode.no_copy"]) + "</p>" +
    "<p><a class=\"button\" href=\"/\">" + esc(vi["offline_mode.back_home"]) + " / <span lang=\"en\">" + esc(en["offline_mode.back_home"]) + "</span></a></p></main>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}
