// /settings/sending/ and /settings/sms/: the Copy buttons (button[data-copy]) next to each DNS
// record and the inbound URL.
(function () {
  "use strict";

  // A selected, off-screen text area copied by the browser: works on any page, inside the
  // click that asked for it. Where a browser refuses, the Clipboard API is tried next.
  function copyBySelection(text) {
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
    return copied;
  }

  function copy(text) {
    if (copyBySelection(text)) {
      return Promise.resolve();
    }
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return Promise.reject(new Error("copy refused"));
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
