// Running totals for the statistics entry form. Progressive enhancement only: the server
// computes and checks every total itself, and the form works without this file.
(function () {
  "use strict";
  // Counts are typed as people write them: "1.250" and "1 250" both mean 1250.
  function count(input) {
    var n = parseInt(String(input.value).replace(/[.\s,]/g, ""), 10);
    return isNaN(n) || n < 0 ? 0 : n;
  }
  function update(form) {
    var sums = {};
    form.querySelectorAll("[data-sum]").forEach(function (input) {
      var group = input.getAttribute("data-sum");
      sums[group] = (sums[group] || 0) + count(input);
    });
    form.querySelectorAll("output[data-total]").forEach(function (out) {
      var total = 0;
      out.getAttribute("data-total").split(" ").forEach(function (group) {
        total += sums[group] || 0;
      });
      out.textContent = total.toLocaleString("vi-VN");
    });
  }
  document.querySelectorAll("form[data-running-totals]").forEach(function (form) {
    form.addEventListener("input", function () { update(form); });
    // Typing over a zero should not need deleting it first.
    form.addEventListener("focusin", function (event) {
      var t = event.target;
      if (t.getAttribute && t.getAttribute("inputmode") === "numeric" && t.select) {
        t.select();
      }
    });
    update(form);
  });
})();
