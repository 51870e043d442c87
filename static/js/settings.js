// Settings pages: reorder pipeline stages by drag and drop (SortableJS). The up and down
// buttons beside each stage do the same without a mouse, and without JavaScript.
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function refreshArrows(list) {
    var rows = list.querySelectorAll("[data-stage-id]");
    rows.forEach(function (row, index) {
      var buttons = row.querySelectorAll(".stage-actions button");
      if (buttons.length >= 2) {
        buttons[0].disabled = index === 0;
        buttons[1].disabled = index === rows.length - 1;
      }
    });
  }

  function saveOrder(list, status) {
    var body = new URLSearchParams();
    list.querySelectorAll("[data-stage-id]").forEach(function (row) {
      body.append("ids", row.dataset.stageId);
    });
    status.textContent = "Saving the order…";
    fetch(list.dataset.reorderUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      status.textContent = response.ok
        ? "Order saved."
        : "The order could not be saved. Reload the page and try again.";
      list.dataset.saved = response.ok ? "true" : "false";
    }, function () {
      status.textContent = "The order could not be saved: check your connection.";
    });
  }

  // The custom field form: the choices box only for a choice field.
  function showChoicesForType() {
    var type = document.querySelector("select[name=field_type]");
    var choices = document.querySelector("[data-shown-for-type]");
    if (!type || !choices) {
      return;
    }
    var update = function () {
      choices.hidden = type.value !== choices.dataset.shownForType;
    };
    type.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    showChoicesForType();
    var list = document.querySelector("[data-stage-list]");
    var status = document.querySelector("[data-reorder-status]");
    if (!list || !status || typeof Sortable === "undefined") {
      return;
    }
    Sortable.create(list, {
      handle: ".drag-handle",
      animation: 150,
      ghostClass: "sortable-ghost",
      onEnd: function (event) {
        if (event.oldIndex === event.newIndex) {
          return;
        }
        refreshArrows(list);
        saveOrder(list, status);
      },
    });
  });
})();
