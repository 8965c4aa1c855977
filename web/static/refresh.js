// A page that keeps itself current (the duty desk's board): it reloads every data-refresh-seconds, unless
// the reader paused it with the button (WCAG 2.2.1: a time limit the reader can turn off) or is typing in
// a field. The pause holds for the browser tab (sessionStorage). Without JavaScript, the page's
// <noscript> refresh does the reloading.
(function () {
  var page = document.querySelector("[data-refresh-seconds]");
  if (!page) return;
  var seconds = Number(page.getAttribute("data-refresh-seconds")) || 30;
  var button = document.querySelector("[data-refresh-toggle]");
  var key = "raquan-refresh-paused:" + window.location.pathname;
  var paused = false;
  try { paused = window.sessionStorage.getItem(key) === "1"; } catch (error) { paused = false; }

  function show() {
    if (button) button.setAttribute("aria-pressed", paused ? "true" : "false");
  }
  function typing() {
    var active = document.activeElement;
    return active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }
  if (button) {
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      paused = !paused;
      try { window.sessionStorage.setItem(key, paused ? "1" : "0"); } catch (error) { /* private mode */ }
      show();
    });
  }
  window.setInterval(function () {
    if (!paused && !typing()) window.location.reload();
  }, seconds * 1000);
})();
