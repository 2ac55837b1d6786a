// Catalogue forms: character counters and a warning before leaving a form with unsaved changes.
// Progressive enhancement only: the forms work without it.
(function () {
  "use strict";

  // "123 / 500 characters" under fields with a maximum length (the server checks it too).
  document.querySelectorAll(".catalogue-form textarea[maxlength], .catalogue-form input[maxlength]").forEach(function (field) {
    var max = parseInt(field.getAttribute("maxlength"), 10);
    if (!max || max > 5000) { return; }
    var counter = document.createElement("div");
    counter.className = "form-text text-end";
    counter.id = field.id + "-counter";
    var update = function () { counter.textContent = field.value.length + " / " + max; };
    update();
    field.addEventListener("input", update);
    field.insertAdjacentElement("afterend", counter);
  });

  // Ask before leaving a catalogue form whose text was changed and not saved.
  document.querySelectorAll("form.catalogue-form").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();
