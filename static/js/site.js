// The public site's behaviour (the apex: landing and pricing). No inline code: the
// Content-Security-Policy refuses it.
(function () {
  "use strict";

  // Pricing: the Monthly / Yearly switch shows one set of prices. Without JavaScript the
  // monthly prices show and the switch stays hidden.
  function choosePeriod(pricing, period) {
    pricing.dataset.period = period;
    pricing.querySelectorAll("[data-period-choice]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.periodChoice === period ? "true" : "false");
    });
  }

  document.querySelectorAll(".pricing").forEach(function (pricing) {
    pricing.classList.add("has-switch");
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-period-choice]") : null;
    if (!target) {
      return;
    }
    var pricing = target.closest(".pricing");
    if (pricing) {
      choosePeriod(pricing, target.dataset.periodChoice);
    }
  });

  // The waitlist form's "too many requests" answer is a panel to show, like its 422.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (
      event.detail.xhr.status === 429 &&
      source instanceof Element &&
      source.closest("[data-swap-unprocessable]")
    ) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
