// The leads table: the modal that add, edit and bulk confirmations open in, the row
// selection with its count, and the bulk bar showing only the value its action needs.
// Everything here is an enhancement: without it the same forms work as full pages.
(function () {
  "use strict";

  function modal() {
    return document.getElementById("lead-modal");
  }

  // htmx put a form or a confirmation into the modal: open it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = modal();
    if (dialog && event.target instanceof Element && dialog.contains(event.target) && !dialog.open) {
      dialog.showModal();
      var first = dialog.querySelector("input:not([type=hidden]), select, textarea, button[type=submit]");
      if (first) {
        first.focus();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var dialog = modal();
    if (!target || !dialog) {
      return;
    }
    if (target.closest("[data-close-modal]") && dialog.contains(target)) {
      event.preventDefault();
      dialog.close();
    } else if (target === dialog) {
      dialog.close(); // a click on the backdrop
    }
  });

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-row-select]"));
  }

  function showSelection() {
    var ticked = rows().filter(function (box) {
      return box.checked;
    }).length;
    var label = document.querySelector("[data-selected-count]");
    if (label) {
      label.textContent = ticked ? ticked + " selected" : "Tick leads for a bulk action";
    }
    var page = document.querySelector("[data-select-page]");
    if (page) {
      page.checked = ticked > 0 && ticked === rows().length;
      page.indeterminate = ticked > 0 && ticked < rows().length;
    }
  }

  function showBulkValue() {
    var action = document.querySelector("[data-bulk-action]");
    document.querySelectorAll("[data-bulk-value]").forEach(function (box) {
      var wanted = action && box.getAttribute("data-bulk-value").split(" ").indexOf(action.value) >= 0;
      box.hidden = !wanted;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement || target instanceof HTMLSelectElement)) {
      return;
    }
    if (target.matches("[data-select-page]")) {
      rows().forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-page], [data-row-select]")) {
      var selected = document.querySelector("input[name=scope][value=selected]");
      if (selected) {
        selected.checked = true;
      }
      showSelection();
    }
    if (target.matches("[data-bulk-action]")) {
      showBulkValue();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    showBulkValue();
    showSelection();
  });
})();
