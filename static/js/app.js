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
  // fragment to show (what is wrong with the input), not an error to drop. htmx fires
  // beforeSwap on the target, so the element that asked is read from the request.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (
      event.detail.xhr.status === 422 &&
      source instanceof Element &&
      source.closest("[data-swap-unprocessable]")
    ) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
