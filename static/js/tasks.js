// The tasks page: a refused quick action (the task is gone, the member left) is said in a
// toast instead of failing silently; htmx swaps only successful answers.
(function () {
  "use strict";

  function toast(text) {
    var box = document.querySelector(".toasts");
    if (!box) {
      return;
    }
    var item = document.createElement("div");
    item.className = "toast error";
    item.setAttribute("role", "alert");
    var words = document.createElement("span");
    words.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    item.appendChild(words);
    item.appendChild(close);
    box.appendChild(item);
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
