/* The self-analysis editor: a live word count, autosave of the draft every 20 seconds
   and when a field loses focus, and a copy of the text in this browser so that nothing
   is lost when the session ends or the network fails.

   countWords follows reviews/wordcount.py exactly (tests run both on the same samples):
   each CJK ideograph counts one, each run of Latin letters or digits counts one,
   punctuation and spaces count none. */
"use strict";

var CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff" +
  "\\u{20000}-\\u{2a6df}\\u{2a700}-\\u{2ebef}\\u{2ebf0}-\\u{2ee5f}\\u{2f800}-\\u{2fa1f}\\u{30000}-\\u{323af}";
var LATIN = "A-Za-z0-9\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u024f\\uff10-\\uff19\\uff21-\\uff3a\\uff41-\\uff5a";
var WORD = new RegExp("[" + CJK + "]|[" + LATIN + "]+", "gu");

function countWords(text) {
  var matches = (text || "").match(WORD);
  return matches ? matches.length : 0;
}

if (typeof module !== "undefined" && module.exports) {
  module.exports = { countWords: countWords };
}

(function () {
  if (typeof document === "undefined") return;
  var form = document.getElementById("document-form");
  if (!form) return;

  var AUTOSAVE_MS = 20000;
  var key = form.dataset.storageKey;
  var minimum = parseInt(form.dataset.minimum, 10) || 0;
  var areas = Array.prototype.slice.call(form.querySelectorAll("textarea[data-section]"));
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
  var total = document.getElementById("word-total");
  var wordState = document.getElementById("word-state");
  var saveState = document.getElementById("save-state");
  var restoreBar = document.getElementById("restore-bar");
  var dirty = false;
  var saving = false;

  function snapshot() {
    var data = { sections: {}, checks: {} };
    areas.forEach(function (area) { data.sections[area.name] = area.value; });
    boxes.forEach(function (box) { data.checks[box.name] = box.checked; });
    return data;
  }

  function recount() {
    var sum = 0;
    areas.forEach(function (area) {
      var n = countWords(area.value);
      sum += n;
      var label = form.querySelector('[data-count-for="' + area.name + '"]');
      if (label) label.textContent = "(" + n.toLocaleString("en-US") + ")";
    });
    total.textContent = sum.toLocaleString("en-US"); // 11,047: the project's one number format (config/formats)
    if (sum < minimum) {
      wordState.textContent = (minimum - sum).toLocaleString("en-US") + " " + form.dataset.msgMissing;
      wordState.className = "short";
    } else {
      wordState.textContent = form.dataset.msgEnough;
      wordState.className = "enough";
    }
  }

  function keepLocally() {
    try {
      window.localStorage.setItem(key, JSON.stringify(snapshot()));
    } catch (e) { /* storage full or disabled: the server copy is all we have */ }
  }

  function forgetLocally() {
    try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  }

  var again = false;
  var submitting = false;
  var blurTimer = null;

  // data-busy tells whoever watches (a person's tests, a slow network) that a save is
  // pending or on its way.
  function busy() {
    form.dataset.busy = (saving || blurTimer !== null) ? "1" : "0";
  }

  function save() {
    if (blurTimer !== null) { window.clearTimeout(blurTimer); blurTimer = null; }
    if (submitting) return;  // the form's own POST carries the text
    if (saving) { again = true; return; }  // one request at a time; the latest text follows
    if (!dirty) { busy(); return; }
    saving = true;
    again = false;
    busy();
    saveState.textContent = form.dataset.msgSaving;
    var body = new FormData();
    var data = snapshot();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Object.keys(data.sections).forEach(function (name) { body.append(name, data.sections[name]); });
    Object.keys(data.checks).forEach(function (name) { if (data.checks[name]) body.append(name, "on"); });
    dirty = false;
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" },
      redirect: "error"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (response.ok) {
          if (!dirty) forgetLocally();
          saveState.textContent = form.dataset.msgSaved + " " + json.saved_at;
          saveState.className = "saved";
        } else {
          dirty = true;
          keepLocally();
          saveState.textContent = response.status === 403 ? form.dataset.msgExpired : (json.message || form.dataset.msgFailed);
          saveState.className = "unsaved";
        }
      });
    }).catch(function () {
      dirty = true;
      keepLocally();
      saveState.textContent = form.dataset.msgFailed;
      saveState.className = "unsaved";
    }).then(function () {
      saving = false;
      busy();
      if (again && dirty) save();
    });
  }

  function changed() {
    dirty = true;
    recount();
    keepLocally();
  }

  // Leaving a field saves shortly after, unless the field was left to press a button
  // of the form: its POST saves the text, and one request at a time is enough.
  function saveSoon() {
    if (blurTimer !== null) window.clearTimeout(blurTimer);
    blurTimer = window.setTimeout(save, 400);
    busy();
  }

  areas.forEach(function (area) {
    area.addEventListener("input", changed);
    area.addEventListener("blur", saveSoon);
  });
  boxes.forEach(function (box) { box.addEventListener("change", function () { dirty = true; keepLocally(); saveSoon(); }); });
  form.addEventListener("submit", function () {
    if (blurTimer !== null) { window.clearTimeout(blurTimer); blurTimer = null; }
    submitting = true;
    keepLocally();
    dirty = false;
  });
  window.setInterval(save, AUTOSAVE_MS);

  // Text left in this browser by an earlier visit that never reached the server.
  var kept = null;
  try { kept = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { kept = null; }
  var differs = kept && areas.some(function (area) {
    return (kept.sections[area.name] || "") !== area.value;
  });
  if (differs) {
    restoreBar.hidden = false;
    document.getElementById("restore-button").addEventListener("click", function () {
      areas.forEach(function (area) {
        if (Object.prototype.hasOwnProperty.call(kept.sections, area.name)) area.value = kept.sections[area.name];
      });
      boxes.forEach(function (box) { box.checked = !!kept.checks[box.name]; });
      restoreBar.hidden = true;
      changed();
      save();
    });
    document.getElementById("discard-button").addEventListener("click", function () {
      forgetLocally();
      restoreBar.hidden = true;
    });
  } else if (kept) {
    forgetLocally();
  }
  recount();
  busy();
})();
