// Counts "time left" down each second between polls. The server's figure stays the truth: every
// poll (a few seconds apart) replaces the element, so this never drifts far and never decides anything.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(total) {
    var days = Math.floor(total / 86400);
    var rest = total % 86400;
    var h = Math.floor(rest / 3600), m = Math.floor((rest % 3600) / 60), s = rest % 60;
    var clock = (h || days) ? pad(h) + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
    return days ? days + "d " + clock : clock;
  }
  window.setInterval(function () {
    var nodes = document.querySelectorAll("[data-testid=time-left][data-seconds]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var left = parseInt(el.getAttribute("data-seconds"), 10);
      if (isNaN(left) || left <= 0) { continue; }
      left -= 1;
      el.setAttribute("data-seconds", String(left));
      el.textContent = format(left);
    }
  }, 1000);
})();
