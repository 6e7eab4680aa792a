/* Canvass: the target autocomplete and keyboard-first batch entry of opinions.
 *
 * Plain JavaScript, no build step, no inline code (the CSP allows only scripts from
 * 'self'). Everything here is an enhancement: without it the forms still post, the
 * target is typed by its full name, and the batch page offers a fixed set of rows.
 *
 * Any form with data-target-search-url gets the autocomplete on its inputs marked
 * data-target-search: typing part of a name lists the teams, members and organisations
 * the user may record for; the one chosen goes into the hidden "<name>_token" input
 * as "team:12", "member:34" or "unit:5" (the server checks it again).
 *
 * On the batch page (#batch-entry): Enter in a row's content goes to the next row,
 * adding one at the end; Shift+Enter is a new line; Ctrl+D (⌘D) takes the target of
 * the row above; Ctrl+Enter saves.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;

  function text(form, name, fallback) {
    return form.getAttribute("data-" + name) || fallback;
  }

  function tokenInput(input) {
    return input.form ? input.form.elements.namedItem(input.name + "_token") : null;
  }

  function detailOf(input) {
    return input.parentElement.querySelector(".target-detail");
  }

  function setChosen(input, token, label, detail) {
    var hidden = tokenInput(input);
    if (hidden) hidden.value = token;
    input.value = label;
    var place = detailOf(input);
    if (place) place.textContent = detail;
    input.classList.toggle("target-chosen", Boolean(token));
  }

  /* --- The autocomplete ------------------------------------------------------ */

  function Autocomplete(form) {
    this.form = form;
    this.url = form.getAttribute("data-target-search-url");
    this.input = null;
    this.list = null;
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.sequence = 0;
    this.noMatch = text(form, "no-match", "—");
    var self = this;
    // A Chinese input method composes pinyin first: search on what it commits, not on
    // the letters typed on the way (browsers differ in which event comes last).
    form.addEventListener("input", function (event) {
      if (event.target.matches("[data-target-search]") && !event.isComposing) self.typed(event.target);
    });
    form.addEventListener("compositionend", function (event) {
      if (event.target.matches("[data-target-search]")) self.typed(event.target);
    });
    form.addEventListener("keydown", function (event) {
      if (event.target.matches("[data-target-search]")) self.key(event);
    });
    form.addEventListener("focusout", function (event) {
      // Closed a moment later (a click on an option lands first), and only if no other
      // field has started a search meanwhile (a quick typist tabs on and types within
      // the moment) and the field is still left (a focus that bounces back).
      var left = event.target;
      if (left !== self.input) return;
      window.setTimeout(function () {
        if (self.input === left && document.activeElement !== left) self.close();
      }, 120);
    });
    form.querySelectorAll("[data-target-search]").forEach(function (input) { self.prepare(input); });
  }

  Autocomplete.prototype.prepare = function (input) {
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    var hidden = tokenInput(input);
    if (hidden && hidden.value) input.classList.add("target-chosen");
  };

  Autocomplete.prototype.typed = function (input) {
    // What is typed no longer names the target chosen before.
    var hidden = tokenInput(input);
    if (hidden) hidden.value = "";
    input.classList.remove("target-chosen");
    var place = detailOf(input);
    if (place) place.textContent = "";
    this.input = input;
    window.clearTimeout(this.timer);
    var query = input.value.trim();
    if (!query) { this.close(); return; }
    var self = this;
    this.timer = window.setTimeout(function () { self.search(input, query); }, DEBOUNCE_MS);
  };

  Autocomplete.prototype.search = function (input, query) {
    var self = this;
    var sequence = ++this.sequence;
    fetch(this.url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) {
        // An answer to an older query, or for a field left since, is dropped.
        if (sequence !== self.sequence || document.activeElement !== input) return;
        self.show(input, data.results || []);
      })
      .catch(function () { self.close(); });
  };

  Autocomplete.prototype.show = function (input, results) {
    this.close();
    this.input = input;
    this.options = results;
    this.active = results.length ? 0 : -1;
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.id = input.id + "-list";
    list.setAttribute("role", "listbox");
    var self = this;
    if (!results.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = this.noMatch;
      list.appendChild(none);
    }
    results.forEach(function (option, index) {
      var item = document.createElement("li");
      item.id = list.id + "-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("data-token", option.token);
      item.textContent = option.label;
      var small = document.createElement("small");
      small.textContent = option.detail;
      item.appendChild(small);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the field
        self.choose(index);
      });
      list.appendChild(item);
    });
    input.parentElement.appendChild(list);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "true");
    this.list = list;
    this.highlight();
  };

  Autocomplete.prototype.highlight = function () {
    if (!this.list) return;
    var items = this.list.querySelectorAll("[role=option]");
    var active = this.active;
    items.forEach(function (item, index) { item.setAttribute("aria-selected", String(index === active)); });
    if (active >= 0 && items[active]) {
      this.input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Autocomplete.prototype.choose = function (index) {
    var option = this.options[index];
    if (!option || !this.input) return;
    setChosen(this.input, option.token, option.label, option.detail);
    this.close();
  };

  Autocomplete.prototype.close = function () {
    window.clearTimeout(this.timer);
    if (this.list) this.list.remove();
    if (this.input) {
      this.input.setAttribute("aria-expanded", "false");
      this.input.removeAttribute("aria-activedescendant");
    }
    this.list = null;
    this.options = [];
    this.active = -1;
  };

  function composing(event) {
    // Enter or an arrow key inside an input method's composition belongs to it.
    return event.isComposing || event.keyCode === 229;
  }

  Autocomplete.prototype.key = function (event) {
    if (composing(event)) return;
    var open = Boolean(this.list) && event.target === this.input;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      var count = this.options.length;
      if (count) this.active = (this.active + step + count) % count;
      this.highlight();
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      // Enter picks the highlighted target, and never sends the form from this field.
      event.preventDefault();
      if (open && this.active >= 0) this.choose(this.active);
      else focusNext(event.target);
    } else if (event.key === "Tab" && open && this.active >= 0 && !event.shiftKey) {
      this.choose(this.active); // and let Tab move on
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      this.close();
    }
  };

  function focusable(form) {
    return Array.prototype.filter.call(
      form.querySelectorAll("input, select, textarea, button"),
      function (el) { return !el.disabled && el.type !== "hidden" && !el.hidden && el.tabIndex >= 0 && el.offsetParent !== null; }
    );
  }

  function focusNext(element) {
    var fields = focusable(element.form);
    var next = fields[fields.indexOf(element) + 1];
    if (next) next.focus();
  }

  /* --- Batch entry ----------------------------------------------------------- */

  function Batch(form) {
    this.form = form;
    this.body = form.querySelector("#batch-rows");
    this.template = document.getElementById("batch-row-template");
    this.total = form.querySelector("input[name$='-TOTAL_FORMS']");
    this.max = form.querySelector("input[name$='-MAX_NUM_FORMS']");
    this.dittoLabel = text(form, "ditto", "↑");
    this.dittoTitle = text(form, "ditto-title", "Ctrl+D");
    var self = this;
    this.rows().forEach(function (row) { self.addDitto(row); });
    var add = form.querySelector("#add-row");
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () { self.focusRow(self.addRow()); });
    }
    form.addEventListener("keydown", function (event) { self.key(event); });
    this.focusStart();
  }

  Batch.prototype.rows = function () {
    return Array.prototype.slice.call(this.body.querySelectorAll("tr.batch-row"));
  };

  Batch.prototype.addRow = function () {
    var index = parseInt(this.total.value, 10);
    if (this.max && index >= parseInt(this.max.value, 10)) return null;
    var html = this.template.innerHTML.replace(/__prefix__/g, String(index));
    this.body.insertAdjacentHTML("beforeend", html);
    this.total.value = String(index + 1);
    var row = this.rows()[this.rows().length - 1];
    row.querySelector(".row-number").textContent = String(index + 1);
    row.querySelectorAll("[data-target-search]").forEach(function (input) {
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
    });
    this.addDitto(row);
    return row;
  };

  Batch.prototype.addDitto = function (row) {
    var cell = row.querySelector(".target-cell");
    if (!cell || cell.querySelector(".ditto")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ditto";
    button.tabIndex = -1; // the keyboard has Ctrl+D; keep Tab for the fields
    button.textContent = this.dittoLabel;
    button.title = this.dittoTitle;
    var self = this;
    button.addEventListener("click", function () { self.ditto(row); });
    cell.appendChild(button);
  };

  Batch.prototype.focusRow = function (row) {
    if (!row) return;
    var first = row.querySelector("select, input:not([type=hidden]), textarea");
    if (first) first.focus();
  };

  Batch.prototype.focusStart = function () {
    // Mark the fields of a wrong row that have a message, and start at the first of them.
    var marked = [];
    this.form.querySelectorAll("tr.rowerr td").forEach(function (cell) {
      if (!cell.querySelector(".error")) return;
      var field = cell.querySelector("select, input:not([type=hidden]), textarea");
      if (field) { field.classList.add("field-error"); marked.push(field); }
    });
    var wrong = this.form.querySelector(".has-error select, .has-error input, .has-error textarea") || marked[0];
    if (wrong) { wrong.focus(); return; }
    var event = this.form.querySelector("select[name=event]");
    if (event && !event.value) { event.focus(); return; }
    this.focusRow(this.rows()[0]);
  };

  Batch.prototype.ditto = function (row) {
    var rows = this.rows();
    var here = row.querySelector("[data-target-search]");
    for (var i = rows.indexOf(row) - 1; i >= 0; i--) {
      var above = rows[i].querySelector("[data-target-search]");
      var token = tokenInput(above);
      if (above && above.value.trim()) {
        var detail = detailOf(above);
        setChosen(here, token ? token.value : "", above.value, detail ? detail.textContent : "");
        var aspect = row.querySelector("select[name$='-aspect']");
        (aspect || here).focus();
        return;
      }
    }
    here.focus();
  };

  Batch.prototype.key = function (event) {
    if (composing(event)) return;
    var row = event.target.closest ? event.target.closest("tr.batch-row") : null;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (this.form.requestSubmit) this.form.requestSubmit(); else this.form.submit();
      return;
    }
    if (!row) return;
    if ((event.key === "d" || event.key === "D") && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault(); // not the browser's bookmark
      this.ditto(row);
      return;
    }
    if (event.key === "Enter" && event.target.matches("textarea.row-text") && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      var rows = this.rows();
      var next = rows[rows.indexOf(row) + 1] || this.addRow();
      this.focusRow(next);
    }
  };

  /* --- Sorting: tick every row of the page ----------------------------------- */

  function tickAll(form) {
    var head = form.querySelector("table.sort thead th");
    if (!head) return;
    var all = document.createElement("input");
    all.type = "checkbox";
    all.setAttribute("aria-label", text(form, "tick-all", "All"));
    all.title = all.getAttribute("aria-label");
    all.addEventListener("change", function () {
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    });
    head.appendChild(all);
  }

  document.querySelectorAll("form[data-target-search-url]").forEach(function (form) { new Autocomplete(form); });
  var batch = document.getElementById("batch-entry");
  if (batch) new Batch(batch);
  var sorting = document.getElementById("sort-form");
  if (sorting) tickAll(sorting);
})();
