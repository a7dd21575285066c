/* WeLoop: the little behaviour htmx does not give us. Every page also works without it. */
(function () {
  "use strict";

  function flash(message, kind) {
    var area = document.getElementById("flash");
    if (!area) return;
    var note = document.createElement("div");
    note.className = "alert alert-" + (kind || "error");
    note.textContent = message;
    area.appendChild(note);
    setTimeout(function () { note.remove(); }, 6000);
  }

  // An htmx request that failed (403, 404, 500…) is not swapped in: show the error page's message.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var message = xhr.statusText || "Error";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var shown = doc.querySelector(".error-message");
      if (shown) message = shown.textContent.trim();
    } catch (e) { /* keep the status text */ }
    flash(message + " (" + xhr.status + ")", "error");
  });

  document.addEventListener("htmx:sendError", function () {
    flash("The server could not be reached; check the connection and try again.", "error");
  });

  // <form data-confirm="Really?"> asks before a destructive post, with or without htmx.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-remove-row> removes its row (an opening-hours period) before saving.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-remove-row]");
    if (!button) return;
    event.preventDefault();
    var row = button.closest("[data-row]");
    if (row) row.remove();
  });
})();
