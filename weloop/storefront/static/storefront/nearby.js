/* The nearby page: find the visitor, then reload with ?lat=&lng= so the server lists the stores.
   Inside WeChat, wx-location.js asks the JS-SDK (GCJ-02) and fires "weloop:location"; elsewhere the
   browser's geolocation is used (WGS-84, a few hundred metres off GCJ-02 in mainland China, which
   is fine for a list of nearby stores). Our own code, no CDN. */
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=nearby-form]");
  if (!form) return;
  var status = document.querySelector("[data-testid=nearby-status]");
  var done = false;

  function go(latitude, longitude) {
    if (done) return;
    done = true;
    form.elements.lat.value = Number(latitude).toFixed(6);
    form.elements.lng.value = Number(longitude).toFixed(6);
    form.submit();
  }

  function say(text) { if (status) status.textContent = text; }

  function browserLocate() {
    if (!navigator.geolocation) { say(status && status.getAttribute("data-unavailable")); return; }
    say(status && status.getAttribute("data-locating"));
    navigator.geolocation.getCurrentPosition(
      function (position) { go(position.coords.latitude, position.coords.longitude); },
      function () { say(status && status.getAttribute("data-denied")); },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 }
    );
  }

  document.addEventListener("weloop:location", function (event) { go(event.detail.latitude, event.detail.longitude); });
  var button = document.querySelector("[data-testid=nearby-locate]");
  if (button) button.addEventListener("click", function (event) { event.preventDefault(); done = false; browserLocate(); });
  // First visit without coordinates: locate at once (WeChat answers through the event above).
  if (!form.elements.lat.value && !form.elements.lng.value && !window.wx) browserLocate();
})();
