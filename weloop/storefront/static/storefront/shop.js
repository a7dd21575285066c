/* The H5 shop: a payment deadline counting down ([data-countdown] with data-seconds). */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var end = Date.now() + Number(el.getAttribute("data-seconds") || 0) * 1000;
    var out = el.querySelector("[data-countdown-value]") || el;
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      out.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
      if (left === 0) {
        el.setAttribute("data-expired", "yes");
        var note = el.getAttribute("data-expired-text");
        if (note) { el.textContent = note; }
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  });
})();
