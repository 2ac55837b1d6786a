// Organisation form: the policy domain only applies to government entities, so it is shown only
// when that kind is chosen (and cleared otherwise). Without JavaScript the field stays visible
// and the server explains the rule.
(function () {
  "use strict";
  var form = document.querySelector("[data-organisation-form]");
  if (!form) { return; }
  var domain = form.querySelector(".policy-domain-field");
  var select = domain && domain.querySelector("select");
  var radios = form.querySelectorAll("input[name='kind']");
  if (!domain || !select || !radios.length) { return; }
  function update() {
    var checked = form.querySelector("input[name='kind']:checked");
    var government = checked && checked.value === "government";
    domain.hidden = !government;
    if (!government) { select.value = ""; }
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
