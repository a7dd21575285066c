/* Pay inside WeChat: WeixinJSBridge.invoke('getBrandWCPayRequest', <signed params>, callback).
   The params come from the page (script#wxpay-params, signed by the server). "ok" is not proof of
   payment: the page goes to the order, which waits for WeChat Pay's notification. */
(function () {
  "use strict";
  var holder = document.getElementById("wxpay-params");
  var box = document.querySelector("[data-wxpay]");
  if (!holder || !box) { return; }
  var params = JSON.parse(holder.textContent);
  var back = box.getAttribute("data-return");
  function say(key) {
    var el = box.querySelector('[data-message="' + key + '"]');
    box.querySelectorAll("[data-message]").forEach(function (m) { m.hidden = m !== el; });
  }
  function pay() {
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (res) {
      var msg = (res && res.err_msg) || "";
      if (msg === "get_brand_wcpay_request:ok") {
        window.location.href = back + (back.indexOf("?") < 0 ? "?" : "&") + "paying=1";
      } else if (msg === "get_brand_wcpay_request:cancel") {
        say("cancelled");
      } else {
        say("failed");
      }
    });
  }
  if (typeof window.WeixinJSBridge === "undefined") {
    say("outside-wechat");
    document.addEventListener("WeixinJSBridgeReady", function () { say("paying"); pay(); }, false);
  } else {
    say("paying");
    pay();
  }
  var again = box.querySelector("[data-pay-again]");
  if (again) { again.addEventListener("click", function (e) { e.preventDefault(); if (window.WeixinJSBridge) { pay(); } }); }
})();
