// Progressive enhancement only: every page works without this file.
// Confirms destructive actions for forms marked data-confirm.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
