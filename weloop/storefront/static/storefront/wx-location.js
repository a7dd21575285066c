/* Inside WeChat only: ask the JS-SDK for the visitor's location (GCJ-02), to show nearby stores.
   Outside WeChat (no window.wx, because WeChat injects it) this does nothing. Our own code, no CDN. */
(function () {
  "use strict";
  var script = document.currentScript;
  var configUrl = script && script.getAttribute("data-config-url");
  if (!configUrl || !window.wx || typeof window.wx.config !== "function" || !window.fetch) return;

  var page = window.location.href.split("#")[0];
  window.fetch(configUrl + "?url=" + encodeURIComponent(page), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (config) {
      if (!config || !config.signature) return;
      window.wx.config(config);
      window.wx.ready(function () {
        window.wx.getLocation({
          type: "gcj02",
          success: function (position) {
            var where = { latitude: position.latitude, longitude: position.longitude };
            document.body.setAttribute("data-located", "1");
            document.dispatchEvent(new CustomEvent("weloop:location", { detail: where }));
          }
        });
      });
    })
    .catch(function () { /* no location: the list stays as it is */ });
})();
