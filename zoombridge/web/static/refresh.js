// Parts of a page that refresh themselves while work is in progress: an element with
// data-refresh-url is fetched again every data-refresh-seconds while it carries
// data-refresh-active, and replaced by the fresh copy. Without JavaScript the page's own
// "Refresh" link does the same by reloading.
(function () {
  "use strict";
  function schedule(element) {
    if (!element.hasAttribute("data-refresh-active")) { return; }
    var seconds = Number(element.getAttribute("data-refresh-seconds")) || 5;
    window.setTimeout(function () { refresh(element.id); }, seconds * 1000);
  }
  function refresh(id) {
    var current = document.getElementById(id);
    if (!current) { return; }
    if (document.hidden) { schedule(current); return; }
    fetch(current.getAttribute("data-refresh-url"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html || "";
        var fresh = holder.querySelector("#" + id);
        if (!fresh) { schedule(current); return; }
        current.replaceWith(fresh);
        fresh.setAttribute("data-refreshed", String(Date.now()));
        schedule(fresh);
      })
      .catch(function () { schedule(current); });
  }
  document.querySelectorAll("[data-refresh-url][id]").forEach(schedule);
}());
