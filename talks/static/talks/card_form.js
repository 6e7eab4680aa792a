/* Canvass: the talk card form.
 *
 * Plain JavaScript, no inline code (the CSP allows only scripts from 'self'), and only
 * an enhancement: without it every field shows and the form still posts.
 * - The kind decides the other person: a member for three kinds, someone outside the
 *   membership (name, role, relation) for a talk with the public; the boxes that do not
 *   apply are hidden (the server ignores them too).
 * - Ctrl+Enter (⌘Enter) saves from anywhere in the form.
 * The name boxes get their autocomplete from static/js/batch_entry.js.
 */
(function () {
  "use strict";

  var PUBLIC = "public";

  function setUp(form) {
    var kind = form.elements.namedItem("kind");
    var other = document.getElementById("other-member-field");
    var outsider = document.getElementById("outsider-fields");
    if (!kind || !other || !outsider) return;

    function show() {
      var isPublic = kind.value === PUBLIC;
      other.hidden = isPublic;
      outsider.hidden = !isPublic;
    }
    kind.addEventListener("change", show);
    show();

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      if (!event.target.form || event.target.form !== form) return;
      event.preventDefault();
      var save = form.querySelector("button[type=submit][value=save]");
      if (form.requestSubmit) form.requestSubmit(save || undefined);
      else form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("card-form");
    if (form) setUp(form);
  });
})();
