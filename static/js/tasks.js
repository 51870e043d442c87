// The tasks page: a refused quick action (the task is gone, the member left) is said in a
// toast instead of failing silently; htmx swaps only successful answers.
(function () {
  "use strict";

  function toast(text) {
    window.showToast(text, "error");
  }

  document.addEventListener("htmx:responseError", function (event) {
    var source = event.detail.elt;
    if (!(source instanceof Element) || !source.closest("[data-tasks]")) {
      return;
    }
    var page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    var said = page.querySelector("main p");
    toast(
      (said && said.textContent.trim()) ||
        "That did not work (" + event.detail.xhr.status + "). Reload the page and try again."
    );
  });
})();
