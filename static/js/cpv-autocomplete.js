// CPV code picker: turns the plain "comma-separated codes" text input into a WAI-ARIA 1.2 combobox
// (input with role=combobox + listbox popup) with the chosen codes shown as removable chips.
// Without this script the text input works on its own and the server validates the codes.
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key] !== undefined ? values[key] : ""; });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function CpvPicker(root) {
    this.root = root;
    this.field = root.querySelector("input[type=text]");
    if (!this.field) { return; }
    this.url = root.getAttribute("data-search-url");
    this.lang = root.getAttribute("data-lang") || "nl";
    this.max = parseInt(root.getAttribute("data-max") || "20", 10);
    this.text = function (name) { return root.getAttribute("data-label-" + name) || ""; };
    this.labels = {};   // code -> {label, path}
    this.results = [];
    this.active = -1;
    this.requestNumber = 0;
    this.timer = null;
    this.readStatic();
    this.codes = this.parse(this.field.value);
    this.build();
    this.renderChips();
  }

  CpvPicker.prototype.readStatic = function () {
    var self = this;
    var staticList = this.root.querySelector("[data-cpv-static]");
    if (!staticList) { return; }
    staticList.querySelectorAll("li[data-code]").forEach(function (item) {
      self.labels[item.getAttribute("data-code")] = {
        label: item.getAttribute("data-label"), path: item.getAttribute("data-path") || ""
      };
    });
    staticList.hidden = true;
  };

  CpvPicker.prototype.parse = function (value) {
    var seen = {};
    return (value || "").split(/[,;\s]+/).map(function (token) {
      var code = token.split("-")[0].trim();
      return /^\d{8}$/.test(code) ? code : token.trim();
    }).filter(function (code) {
      if (!code || seen[code]) { return false; }
      seen[code] = true;
      return true;
    });
  };

  CpvPicker.prototype.build = function () {
    var id = this.field.id;
    var label = this.root.querySelector("label[for='" + id + "']");
    var describedBy = this.field.getAttribute("aria-describedby");
    var invalid = this.field.getAttribute("aria-invalid");

    // The original input keeps the value the server reads; the person types in the combobox.
    this.field.type = "hidden";
    this.field.removeAttribute("aria-describedby");

    this.chips = el("ul", { "class": "cpv-chips", "aria-label": this.text("chosen") });
    this.none = el("p", { "class": "cpv-none" }, this.text("none"));
    this.input = el("input", {
      "type": "text", "id": id + "-search", "class": "form-control" + (invalid ? " is-invalid" : ""),
      "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
      "aria-controls": id + "-listbox", "autocomplete": "off", "spellcheck": "false",
      "placeholder": this.text("search")
    });
    if (describedBy) { this.input.setAttribute("aria-describedby", describedBy); }
    if (invalid) { this.input.setAttribute("aria-invalid", invalid); }
    this.listbox = el("ul", { "id": id + "-listbox", "role": "listbox", "class": "cpv-listbox", "aria-label": this.text("search") });
    this.listbox.hidden = true;
    this.status = el("div", { "role": "status", "aria-live": "polite", "class": "visually-hidden" });

    var wrap = el("div", { "class": "cpv-combobox-wrap" });
    wrap.appendChild(this.input);
    wrap.appendChild(this.listbox);
    this.field.insertAdjacentElement("afterend", wrap);
    wrap.insertAdjacentElement("beforebegin", this.chips);
    wrap.insertAdjacentElement("beforebegin", this.none);
    this.root.appendChild(this.status);
    if (label) { label.setAttribute("for", this.input.id); }

    var self = this;
    this.input.addEventListener("input", function () { self.schedule(); });
    this.input.addEventListener("keydown", function (event) { self.onKey(event); });
    this.input.addEventListener("blur", function () { window.setTimeout(function () { self.close(); }, 150); });
    this.listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { self.choose(parseInt(option.getAttribute("data-index"), 10)); }
    });
  };

  CpvPicker.prototype.describe = function (code) {
    var known = this.labels[code];
    return known ? code + " " + known.label : code;
  };

  CpvPicker.prototype.renderChips = function () {
    var self = this;
    this.chips.textContent = "";
    this.codes.forEach(function (code) {
      var item = el("li", { "class": "cpv-chip" });
      var text = el("span", { "class": "cpv-chip-text", "title": (self.labels[code] || {}).path || "" }, self.describe(code));
      var remove = el("button", { "type": "button", "class": "cpv-chip-remove", "aria-label": self.text("remove") + ": " + self.describe(code) }, "×");
      remove.addEventListener("click", function () { self.remove(code); });
      item.appendChild(text);
      item.appendChild(remove);
      self.chips.appendChild(item);
    });
    this.chips.hidden = this.codes.length === 0;
    this.none.hidden = this.codes.length !== 0;
    this.field.value = this.codes.join(", ");
  };

  CpvPicker.prototype.remove = function (code) {
    var description = this.describe(code);
    this.codes = this.codes.filter(function (c) { return c !== code; });
    this.renderChips();
    this.announce(format(this.text("removed"), { label: description }));
    this.input.focus();
  };

  CpvPicker.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.search(); }, 180);
  };

  CpvPicker.prototype.search = function () {
    var self = this;
    var query = this.input.value.trim();
    if (query.length < 2) { this.close(); return; }
    var number = ++this.requestNumber;
    var url = this.url + "?q=" + encodeURIComponent(query) + "&lang=" + encodeURIComponent(this.lang);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (number === self.requestNumber) { self.show(data.results || []); } })
      .catch(function () { if (number === self.requestNumber) { self.show([]); } });
  };

  CpvPicker.prototype.show = function (results) {
    var self = this;
    this.results = results;
    this.active = -1;
    this.listbox.textContent = "";
    this.input.removeAttribute("aria-activedescendant");
    results.forEach(function (result, index) {
      self.labels[result.code] = {
        label: result.label,
        path: result.hierarchy.map(function (h) { return h.label; }).join(" › ")
      };
      var option = el("li", {
        "id": self.listbox.id + "-" + index, "role": "option", "aria-selected": "false",
        "class": "cpv-option" + (self.codes.indexOf(result.code) >= 0 ? " cpv-option-chosen" : ""),
        "data-index": String(index)
      });
      var line = el("span", {});
      line.appendChild(el("span", { "class": "cpv-code" }, result.full_code));
      line.appendChild(document.createTextNode(" " + result.label));
      option.appendChild(line);
      if (result.hierarchy.length) {
        option.appendChild(el("span", { "class": "cpv-path d-block" }, self.labels[result.code].path));
      }
      self.listbox.appendChild(option);
    });
    if (results.length) {
      this.open();
      this.announce(format(this.text("results"), { n: results.length }));
    } else {
      this.close();
      this.announce(this.text("noresults"));
    }
  };

  CpvPicker.prototype.open = function () {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  CpvPicker.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  CpvPicker.prototype.highlight = function (index) {
    var options = this.listbox.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    this.active = (index + options.length) % options.length;
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === this.active ? "true" : "false"); }, this);
    var current = options[this.active];
    this.input.setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({ block: "nearest" });
  };

  CpvPicker.prototype.choose = function (index) {
    var result = this.results[index];
    if (!result) { return; }
    if (this.codes.indexOf(result.code) < 0 && this.codes.length < this.max) {
      this.codes.push(result.code);
      this.renderChips();
      this.announce(format(this.text("added"), { label: this.describe(result.code) }));
    }
    this.input.value = "";
    this.close();
    this.input.focus();
  };

  CpvPicker.prototype.onKey = function (event) {
    var expanded = !this.listbox.hidden;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!expanded && this.results.length) { this.open(); }
        this.highlight(this.active + 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!expanded && this.results.length) { this.open(); }
        this.highlight(this.active - 1);
        break;
      case "Enter":
        if (expanded && this.active >= 0) {
          event.preventDefault();
          this.choose(this.active);
        } else if (this.input.value.trim()) {
          event.preventDefault();  // Enter in the search box never submits the form by accident
          this.search();
        }
        break;
      case "Escape":
        if (expanded) { event.preventDefault(); this.close(); } else { this.input.value = ""; }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  CpvPicker.prototype.announce = function (message) {
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  };

  document.querySelectorAll("[data-cpv-picker]").forEach(function (root) { new CpvPicker(root); });
})();
