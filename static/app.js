// Progressive enhancement only: every page works without this file.
// Confirms destructive actions for forms marked data-confirm.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // A long request (an import of thousands of rows): say so, and do not let it be sent twice.
  var busy = form.getAttribute("data-busy");
  if (busy) {
    var status = document.createElement("p");
    status.className = "notice busy";
    status.setAttribute("role", "status");
    status.textContent = busy;
    form.appendChild(status);
    form.setAttribute("aria-busy", "true");
    var buttons = form.querySelectorAll("button[type=submit]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
  }
});

// Pickers with many choices (units, agencies): suggestions from the server as one types. Without
// this, the server reads what was typed and offers the matches on the form again.
(function () {
  var timers = {};
  document.addEventListener("input", function (event) {
    var input = event.target;
    var url = input.getAttribute && input.getAttribute("data-suggest");
    if (!url) {
      return;
    }
    clearTimeout(timers[input.id]);
    timers[input.id] = setTimeout(function () {
      var q = input.value.trim();
      var list = document.getElementById(input.getAttribute("list"));
      if (q.length < 2 || !list || !window.fetch) {
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          return r.ok ? r.json() : [];
        })
        .then(function (choices) {
          list.textContent = "";
          choices.forEach(function (c) {
            var option = document.createElement("option");
            option.value = c.text;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 200);
  });
})();

// Text boxes that grow with their text where CSS `field-sizing: content` is not supported.
(function () {
  if (window.CSS && CSS.supports && CSS.supports('field-sizing', 'content')) return;
  function grow(t) { t.style.height = 'auto'; t.style.height = (t.scrollHeight + 2) + 'px'; }
  document.addEventListener('input', function (e) {
    if (e.target.matches && e.target.matches('textarea[data-grow]')) grow(e.target);
  });
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('textarea[data-grow]').forEach(grow);
  });
})();

// Tables marked data-sortable: each column heading with data-sort becomes a button that sorts
// the rows shown (by a cell's data-value, else its text), and aria-sort says the order.
(function () {
  function key(row, i, kind) {
    var cell = row.cells[i];
    var v = cell ? (cell.getAttribute("data-value") || cell.textContent.trim()) : "";
    return kind === "number" ? (parseFloat(v) || 0) : v;
  }
  function sort(table, th) {
    var i = th.cellIndex, kind = th.getAttribute("data-sort");
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, i, kind), y = key(b, i, kind);
      var c = kind === "number" ? x - y : String(x).localeCompare(String(y), document.documentElement.lang || "vi");
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.querySelectorAll("th[aria-sort]"), function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll("th[data-sort]"), function (th) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      while (th.firstChild) b.appendChild(th.firstChild);
      th.appendChild(b);
      b.addEventListener("click", function () { sort(table, th); });
    });
  });
})();
