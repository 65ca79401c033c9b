// escflow console: live countdowns and live updates from the server's event stream.
// No framework, no build step: the pages are the server's; this only keeps them current.
(function () {
  "use strict";
  var body = document.body;
  // Countdowns run on the server's clock: the offset between it and this browser's.
  var offset = Date.parse(body.dataset.now) - Date.now();

  function words(ms) {
    var s = Math.round(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var text = h ? h + " h " + String(m).padStart(2, "0") + " min"
                 : m + " min " + String(r).padStart(2, "0") + " s";
    return ms >= 0 ? "in " + text : text + " ago";
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(due)) {
        el.textContent = words(due - now);
        el.classList.toggle("past", due <= now);
      }
    });
  }

  // Swap in the page's live parts ([data-live] with an id) as the server renders them now.
  var refreshing = false, again = false;
  function refresh(said) {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store"})
      .then(function (answer) {
        if (answer.redirected || !answer.ok) { throw new Error("status " + answer.status); }
        return answer.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        offset = Date.parse(fresh.body.dataset.now) - Date.now();
        document.querySelectorAll("[data-live][id]").forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next) { el.replaceWith(document.importNode(next, true)); }
        });
        tick();
        if (said) { document.getElementById("live").textContent = "Updated: " + said; }
      })
      .catch(function () { /* the next event tries again */ })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  function listen() {
    var url = body.dataset.stream;
    if (!url || !window.EventSource) { return; }
    var source = new EventSource(url);
    function changed(message) {
      var said = "";
      try { said = JSON.parse(message.data).said || ""; } catch (e) { said = ""; }
      refresh(said);
    }
    source.addEventListener("ticket", changed);
    source.addEventListener("board", changed);
  }

  tick();
  window.setInterval(tick, 1000);
  listen();
})();
