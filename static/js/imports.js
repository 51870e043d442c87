// The import's upload step: a file dropped on the area goes into the form's file input, and
// the chosen file's name and size are shown. The input itself stays usable by keyboard.
(function () {
  "use strict";
  var zone = document.querySelector("[data-dropzone]");
  if (!zone) return;
  var input = document.getElementById(zone.getAttribute("for"));
  var name = zone.querySelector("[data-file-name]");

  function show() {
    var file = input.files && input.files[0];
    if (!file) { name.textContent = ""; zone.classList.remove("has-file"); return; }
    var size = file.size < 1024 * 1024
      ? Math.max(1, Math.round(file.size / 1024)) + " KB"
      : (file.size / (1024 * 1024)).toFixed(1) + " MB";
    name.textContent = file.name + " · " + size;
    zone.classList.add("has-file");
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  input.addEventListener("change", show);
  show();
})();
