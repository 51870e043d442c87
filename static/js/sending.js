// /settings/sending/: the Copy buttons next to each DNS record (button[data-copy]).
(function () {
  "use strict";

  function fallbackCopy(text) {
    // Where the Clipboard API is refused (a page not served over HTTPS): copy through a
    // selected, off-screen text area.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("button[data-copy]");
    if (!button) {
      return;
    }
    var label = button.firstChild;
    var original = label.nodeValue;
    copy(button.dataset.copy).then(
      function () {
        label.nodeValue = "Copied";
      },
      function () {
        label.nodeValue = "Select and copy";
      }
    ).then(function () {
      window.setTimeout(function () {
        label.nodeValue = original;
      }, 2000);
    });
  });
})();
