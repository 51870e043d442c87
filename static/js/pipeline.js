// The pipeline board: drag a card (SortableJS) or use its "Move to" form; either way the
// move is one POST to the lead service, and a refused move puts the card back and says why.
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board) {
    return;
  }
  var moveUrl = board.dataset.moveUrl;
  var status = document.getElementById("board-status");

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function toast(text, kind) {
    if (status) {
      status.textContent = text;
    }
    window.showToast(text, kind);
  }

  function bump(key, by) {
    var badge = board.querySelector('[data-count="' + key + '"]');
    if (!badge) {
      return;
    }
    var value = parseInt(badge.dataset.value, 10) + by;
    badge.dataset.value = String(value);
    badge.textContent = value.toLocaleString();
  }

  function listOf(key) {
    return document.getElementById("cards-" + key);
  }

  // POST the move; resolve with the answer's JSON, reject with the reason to show.
  function sendMove(leadId, stageKey) {
    var body = new FormData();
    body.append("lead", leadId);
    body.append("stage", stageKey);
    return fetch(moveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then(
      function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (answer) {
            if (response.ok) {
              return answer;
            }
            var error = answer.error || {};
            var details = (error.details || []).map(function (d) {
              return d.message;
            });
            throw new Error(
              [error.message || "The move did not go through (" + response.status + ")."]
                .concat(details)
                .join(" ")
            );
          });
      },
      function () {
        throw new Error("The move did not go through: no connection to the server.");
      }
    );
  }

  function settle(card, fromKey, toKey, answer) {
    bump(fromKey, -1);
    bump(toKey, 1);
    var select = card.querySelector("select");
    if (select) {
      select.value = toKey;
    }
    card.classList.add("board-card-moved");
    window.setTimeout(function () {
      card.classList.remove("board-card-moved");
    }, 1200);
    toast(answer.message || "Moved.", "success");
  }

  // A dragged card: the DOM already shows it in its new place.
  function dropped(event) {
    var card = event.item;
    var fromKey = event.from.dataset.stage;
    var toKey = event.to.dataset.stage;
    if (fromKey === toKey) {
      return;
    }
    card.classList.add("board-card-pending");
    sendMove(card.dataset.lead, toKey)
      .then(function (answer) {
        settle(card, fromKey, toKey, answer);
      })
      .catch(function (error) {
        var before = event.from.children[event.oldIndex] || null;
        event.from.insertBefore(card, before);
        toast(error.message, "error");
      })
      .finally(function () {
        card.classList.remove("board-card-pending");
      });
  }

  // The keyboard's way: a card's "Move to" select and its Move button (the board is one
  // form; the button pressed names the lead), without leaving the page.
  board.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.name !== "lead") {
      return;
    }
    event.preventDefault();
    var card = button.closest(".board-card");
    var select = card.querySelector("select");
    var fromKey = card.parentElement.dataset.stage;
    var toKey = select.value;
    if (fromKey === toKey) {
      return;
    }
    var target = listOf(toKey);
    card.classList.add("board-card-pending");
    sendMove(card.dataset.lead, toKey)
      .then(function (answer) {
        if (target) {
          target.insertBefore(card, target.firstChild);
        } else {
          card.remove(); // its column is not on the board (filtered or empty before)
        }
        settle(card, fromKey, toKey, answer);
        select.focus();
      })
      .catch(function (error) {
        select.value = fromKey;
        toast(error.message, "error");
      })
      .finally(function () {
        card.classList.remove("board-card-pending");
      });
  });

  function makeSortable(list) {
    window.Sortable.create(list, {
      group: "board",
      animation: 150,
      filter: "select, button, input, label",
      preventOnFilter: false,
      ghostClass: "board-card-ghost",
      onEnd: dropped,
    });
  }

  if (window.Sortable) {
    board.querySelectorAll(".board-cards").forEach(makeSortable);
  }
})();
