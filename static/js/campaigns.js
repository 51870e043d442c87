// The campaign form: the merge-field picker inserts {{ lead.first_name }} and the like at the
// cursor of the subject, text or HTML field that last had the focus (the text by default).
(function () {
  "use strict";

  var target = null;

  function targetName(field) {
    var shown = document.querySelector("[data-merge-target-name]");
    if (shown && field) {
      shown.textContent = field.dataset.mergeTarget;
    }
  }

  function defaultTarget() {
    return document.querySelector('[data-merge-target][name="body_template"]') ||
      document.querySelector("[data-merge-target]");
  }

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field instanceof HTMLElement && field.matches("[data-merge-target]")) {
      target = field;
      targetName(field);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("button[data-merge-field]");
    if (!button) {
      return;
    }
    var field = target || defaultTarget();
    if (!field) {
      return;
    }
    var text = button.dataset.mergeField;
    var start = typeof field.selectionStart === "number" ? field.selectionStart : field.value.length;
    var end = typeof field.selectionEnd === "number" ? field.selectionEnd : start;
    field.focus();
    field.setRangeText(text, start, end, "end");
    // What listens to typing (the form's own checks, htmx) hears the change too.
    field.dispatchEvent(new Event("input", { bubbles: true }));
    targetName(field);
  });
})();
