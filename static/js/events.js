// Events: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // "Every slot" / "No slot" buttons above the availability checkboxes of a registration.
  document.querySelectorAll("[data-slot-picker]").forEach(function (picker) {
    var boxes = picker.querySelectorAll("input[type=checkbox][name=slots]");
    if (!boxes.length) { return; }
    var tools = document.createElement("div");
    tools.className = "slot-picker-tools d-flex gap-2";
    [["all", picker.getAttribute("data-label-all") || "Every slot", true],
     ["none", picker.getAttribute("data-label-none") || "No slot", false]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary";
      button.textContent = spec[1];
      button.addEventListener("click", function () {
        boxes.forEach(function (box) { box.checked = spec[2]; });
      });
      tools.appendChild(button);
    });
    var hint = picker.querySelector(".form-text");
    (hint || picker.firstElementChild).insertAdjacentElement("afterend", tools);
  });
})();
