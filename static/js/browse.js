// Catalogue browse page: the filters sit in a native <details> that is closed on a phone (the results come
// first) and open beside the results on wide screens. This script only opens it on wide screens and follows
// the window across the breakpoint; without it the <summary> opens and closes the filters as it is.
(function () {
  "use strict";
  var disclosure = document.querySelector("[data-filters-disclosure]");
  if (!disclosure || !window.matchMedia) { return; }
  var wide = window.matchMedia("(min-width: 992px)");
  if (wide.matches) { disclosure.open = true; }
  // Crossing the breakpoint (a turned tablet, a resized window): open beside the results, closed above them.
  wide.addEventListener("change", function () { disclosure.open = wide.matches; });
})();
