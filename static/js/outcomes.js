// Outcome survey: when the meeting did not take place, the usefulness and follow-up questions do not apply.
(function () {
  "use strict";
  var form = document.querySelector("[data-outcome-form]");
  if (!form) return;
  var usefulness = form.querySelector("fieldset#usefulness");
  var followUp = form.querySelector("fieldset#follow_up");
  function update() {
    var no = form.querySelector("input[name=held][value=no]");
    var notHeld = !!(no && no.checked);
    [usefulness, followUp].forEach(function (fieldset) {
      if (fieldset) fieldset.disabled = notHeld;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "held") update();
  });
  update();
})();
