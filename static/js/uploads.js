// Uploads: a file larger than its form accepts is refused here, before it travels. Progressive enhancement
// only: the server refuses it too, with a page that says so, but only after the whole file was sent.
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    if (!max || !input.form) { return; }
    var note = document.createElement("div");
    note.className = "invalid-feedback d-block";
    note.id = input.id + "-too-large";
    note.hidden = true;
    input.insertAdjacentElement("afterend", note);

    function tooLarge() {
      return Array.prototype.some.call(input.files || [], function (file) { return file.size > max; });
    }
    function check() {
      var refused = tooLarge();
      note.textContent = refused ? input.getAttribute("data-too-large") : "";
      note.hidden = !refused;
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== note.id;
      });
      if (refused) { described.push(note.id); input.setAttribute("aria-invalid", "true"); }
      else if (!input.classList.contains("is-invalid")) { input.removeAttribute("aria-invalid"); }
      if (described.length) { input.setAttribute("aria-describedby", described.join(" ")); }
      else { input.removeAttribute("aria-describedby"); }
      return refused;
    }
    input.addEventListener("change", check);
    input.form.addEventListener("submit", function (event) {
      if (check()) {
        event.preventDefault();
        input.focus();
      }
    });
  });
})();
