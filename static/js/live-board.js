// The live board: fetch the board's HTML fragment every ~20 seconds and swap it in, paused while the tab is
// hidden. The status line (aria-live) speaks only when the summary changes, not at every refresh. Without
// this file the page offers a refresh link.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch || !window.DOMParser) { return; }
  var url = board.getAttribute("data-board-url");
  var every = (parseInt(board.getAttribute("data-refresh"), 10) || 20) * 1000;
  var status = document.getElementById("live-status");
  var updated = document.getElementById("live-updated");
  var timer = null;
  var busy = false;

  function digest() {
    var node = document.getElementById("live-digest");
    return node ? node.textContent.trim() : "";
  }
  var last = digest();

  function clock() {
    var now = new Date();
    return ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2) + ":" +
      ("0" + now.getSeconds()).slice(-2);
  }

  function focusedForm() {
    var active = document.activeElement;
    var form = active && board.contains(active) ? active.closest("form") : null;
    return form ? form.getAttribute("action") : null;
  }

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    var keep = focusedForm();
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
        var fresh = doc.body.firstElementChild;
        board.replaceChildren.apply(board, Array.prototype.slice.call(fresh.childNodes));
        if (keep) {  // keep the keyboard where it was: the same button, if it is still there
          var button = board.querySelector('form[action="' + keep + '"] button');
          if (button) { button.focus(); }
        }
        var now = digest();
        if (now && now !== last && status) { status.textContent = now; }
        last = now;
        if (updated) { updated.textContent = updated.getAttribute("data-label-updated").replace("{time}", clock()); }
      })
      .catch(function () {
        if (updated) { updated.textContent = updated.getAttribute("data-label-failed"); }
      })
      .then(function () { busy = false; });
  }

  function start() {
    if (timer === null) { timer = window.setInterval(refresh, every); }
  }
  function stop() {
    if (timer !== null) { window.clearInterval(timer); timer = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      stop();
      if (updated) { updated.textContent = updated.getAttribute("data-label-paused"); }
    } else {
      refresh();
      start();
    }
  });

  // Ask before marking someone absent: forms swapped in later are asked too (one listener on the board).
  board.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-live-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  start();
})();
