/* Keep the chat scrolled to the newest message unless the person scrolled up to read. */
(function () {
  "use strict";
  var stuck = true;
  function chat() { return document.getElementById("sim-chat"); }
  function toBottom() { var c = chat(); if (c && stuck) c.scrollTop = c.scrollHeight; }
  document.addEventListener("scroll", function (event) {
    var c = chat();
    if (event.target === c) stuck = c.scrollHeight - c.scrollTop - c.clientHeight < 40;
  }, true);
  document.addEventListener("htmx:afterSettle", toBottom);
  document.addEventListener("DOMContentLoaded", toBottom);
})();
