// Live attendance: fetch the table every 10 seconds and swap it in. Without JavaScript the page
// still works (the "Refresh now" link); only the summary line is announced to screen readers.
(function () {
  "use strict";
  var INTERVAL_MS = 10000;
  function refresh() {
    var current = document.getElementById("live-attendance");
    if (!current || document.hidden) { return; }
    fetch(current.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#live-attendance");
        var live = document.getElementById("live-attendance");
        if (!fresh || !live) { return; }
        live.querySelector(".live-summary").textContent = fresh.querySelector(".live-summary").textContent;
        var oldTable = live.querySelector(".table-scroll");
        var newTable = fresh.querySelector(".table-scroll");
        if (oldTable) { oldTable.remove(); }
        if (newTable) { live.appendChild(newTable); }
        live.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { /* keep what is shown; try again next time */ });
  }
  window.setInterval(refresh, INTERVAL_MS);
  document.addEventListener("visibilitychange", refresh);
}());
