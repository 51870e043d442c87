// A lead's page: the composer's tabs (log activity, add a task, email). Without this file
// every panel shows one under the other, which still works.
(function () {
  "use strict";

  function select(tabs, tab, focus) {
    tabs.querySelectorAll('[role="tab"]').forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) {
        panel.hidden = !selected;
      }
    });
    if (focus) {
      tab.focus();
    }
  }

  function setUp(tabs) {
    var all = Array.prototype.slice.call(tabs.querySelectorAll('[role="tab"]'));
    var current = all.filter(function (tab) {
      return tab.getAttribute("aria-selected") === "true";
    })[0] || all[0];
    select(tabs, current, false);
    tabs.addEventListener("click", function (event) {
      var tab = event.target instanceof Element ? event.target.closest('[role="tab"]') : null;
      if (tab) {
        select(tabs, tab, false);
      }
    });
    // Arrow keys move between tabs, as the WAI-ARIA tabs pattern asks.
    tabs.addEventListener("keydown", function (event) {
      var index = all.indexOf(document.activeElement);
      if (index < 0) {
        return;
      }
      var next = null;
      if (event.key === "ArrowRight") {
        next = all[(index + 1) % all.length];
      } else if (event.key === "ArrowLeft") {
        next = all[(index - 1 + all.length) % all.length];
      } else if (event.key === "Home") {
        next = all[0];
      } else if (event.key === "End") {
        next = all[all.length - 1];
      }
      if (next) {
        event.preventDefault();
        select(tabs, next, true);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tabs]").forEach(setUp);
  });

  // "Send email" in the page head opens the composer's Email tab instead of leaving.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("[data-open-tab]") : null;
    if (!link) {
      return;
    }
    var panel = document.getElementById(link.getAttribute("data-open-tab"));
    var tab = panel && document.querySelector('[aria-controls="' + panel.id + '"]');
    var tabs = tab && tab.closest("[data-tabs]");
    if (tabs) {
      event.preventDefault();
      select(tabs, tab, true);
      tab.scrollIntoView({ block: "nearest" });
    }
  });
})();
