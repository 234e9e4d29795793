// Keeps a server-rendered cockpit page live: every few seconds it asks the server for the
// same page's <main> (rendered by the same code as the first response) and swaps it in.
// Without JavaScript the page is complete; with it, the numbers follow api/status.
(function () {
  "use strict";
  var main = document.getElementById("live");
  if (!main) { return; }
  var every = Number(main.getAttribute("data-refresh-ms")) || 5000;
  function refresh() {
    if (document.hidden) { return; }
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "main");
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (reply) {
        if (reply.status === 401) { window.location.reload(); return null; }
        return reply.ok ? reply.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== undefined) {
          main.innerHTML = html;
          document.body.setAttribute("data-refreshed", String(Date.now()));
        }
      })
      .catch(function () { /* the proxy restarting: try again at the next tick */ });
  }
  window.setInterval(refresh, every);
})();
