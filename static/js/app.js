// The pages' own behaviour, in a static file rather than inline attributes (onsubmit,
// hx-on): the Content-Security-Policy refuses every inline script and eval.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    // <form data-confirm="Question?">: sent only once the person says yes.
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    // <form data-local-offset>: its tz_offset gets this browser's UTC offset at the moment
    // chosen in scheduled_at, so the server reads the time as the person meant it.
    if ("localOffset" in form.dataset && form.scheduled_at && form.scheduled_at.value) {
      form.tz_offset.value = new Date(form.scheduled_at.value).getTimezoneOffset();
    }
  });

  // A request made by an element inside [data-swap-unprocessable]: its 422 answer is a
  // fragment to show (what is wrong with the input), not an error to drop; so is a form's
  // 402 (over the plan's limit). htmx fires beforeSwap on the target, so the element that
  // asked is read from the request.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var status = event.detail.xhr.status;
    var html = (event.detail.xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0;
    if (
      (status === 422 || (status === 402 && html)) &&
      source instanceof Element &&
      source.closest("[data-swap-unprocessable]")
    ) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The sidebar on a phone: the menu button opens it over the page; the backdrop, Escape
  // or a link inside closes it.
  function setNav(open) {
    var sidebar = document.getElementById("sidebar");
    var button = document.querySelector("[data-toggle-nav]");
    if (!sidebar || !button) {
      return;
    }
    sidebar.dataset.open = open ? "true" : "false";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = sidebar.querySelector("a");
      if (first) {
        first.focus();
      }
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    if (target.closest("[data-toggle-nav]")) {
      var sidebar = document.getElementById("sidebar");
      setNav(sidebar && sidebar.dataset.open !== "true");
    } else if (target.closest("[data-close-nav]")) {
      setNav(false);
    }
    var dismiss = target.closest("[data-dismiss]");
    if (dismiss && dismiss.parentElement) {
      dismiss.parentElement.remove();
    }
    // A click outside the search box closes its results.
    if (!target.closest(".global-search")) {
      var results = document.getElementById("search-results");
      if (results) {
        results.innerHTML = "";
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      setNav(false);
      var results = document.getElementById("search-results");
      if (results) {
        results.innerHTML = "";
      }
      document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
      });
    }
    // "/" focuses the global search, as in Gmail and GitHub.
    if (event.key === "/" && !(event.target instanceof HTMLInputElement) &&
        !(event.target instanceof HTMLTextAreaElement) && !(event.target instanceof HTMLSelectElement)) {
      var search = document.getElementById("global-search");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    }
  });

  // A toast from a page script (a drag on the board, a quick task action): the same markup
  // as the server's messages. Errors stay until dismissed; the rest go after a few seconds.
  window.showToast = function (text, kind, link) {
    var box = document.querySelector(".toasts");
    if (!box) {
      return;
    }
    kind = kind || "success";
    var item = document.createElement("div");
    item.className = "toast " + kind;
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    var words = document.createElement("span");
    words.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    item.appendChild(words);
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.label;
      words.appendChild(document.createTextNode(" "));
      words.appendChild(anchor);
    }
    item.appendChild(close);
    box.appendChild(item);
    if (kind !== "error") {
      window.setTimeout(function () {
        item.remove();
      }, 5000);
    }
  };

  // Any htmx action refused for the plan (402: a limit reached, a read-only workspace) and
  // not shown as a form error says why in a toast, with the way to Settings -> Billing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status !== 402) {
      return;
    }
    var text = "";
    try {
      text = JSON.parse(xhr.responseText).error.message;
    } catch (notJson) {
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var said = page.querySelector(".error-message");
      text = said ? said.textContent.trim() : "";
    }
    text = text || "Your plan does not allow this.";
    var link = { href: "/settings/billing/", label: "Open Settings → Billing" };
    // A dialog sits above the toasts (the top layer): say it inside the dialog instead.
    var source = event.detail.elt;
    var dialog = source instanceof Element ? source.closest("dialog[open]") : null;
    if (!dialog) {
      window.showToast(text, "error", link);
      return;
    }
    var body = dialog.querySelector(".modal-body") || dialog;
    var earlier = body.querySelector("[data-plan-refusal]");
    if (earlier) {
      earlier.remove();
    }
    var alert = document.createElement("div");
    alert.setAttribute("data-plan-refusal", "");
    alert.className = "alert";
    alert.setAttribute("role", "alert");
    alert.textContent = text + " ";
    var anchor = document.createElement("a");
    anchor.href = link.href;
    anchor.textContent = link.label;
    alert.appendChild(anchor);
    body.insertBefore(alert, body.firstChild);
    alert.scrollIntoView({ block: "nearest" });
  });

  // A form swapped back into a dialog with what is wrong: its message may be above the
  // fold of a long form on a phone, so bring it into view.
  document.addEventListener("htmx:afterSwap", function () {
    // An outerHTML swap replaced the target itself: look in the open dialog, not at it.
    var said = document.querySelector("dialog[open] .alert[role=alert]");
    if (said) {
      said.scrollIntoView({ block: "nearest" });
    }
  });

  // Success toasts go away by themselves after a few seconds; errors stay until dismissed.
  function hideToasts(root) {
    root.querySelectorAll(".toast[data-autohide]").forEach(function (toast) {
      window.setTimeout(function () {
        toast.remove();
      }, 5000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    hideToasts(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target instanceof Element) {
      hideToasts(event.target);
    }
  });
})();
