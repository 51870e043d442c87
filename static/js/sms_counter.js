// The SMS composer's live count: characters, encoding (GSM-7 or UCS-2), segments and the
// room left in the last one, on every keystroke. A port of outreach/sms_segments.py (the
// browser test checks both give the same numbers); the server renders the same count when
// the page loads, so it is right without this script too.
(function () {
  "use strict";

  var GSM7_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENSION = "\f^{}\\[~]|€"; // each sent as ESC + a character: 2 septets
  var basic = new Set(Array.from(GSM7_BASIC));
  var extension = new Set(Array.from(GSM7_EXTENSION));

  function count(text) {
    var chars = Array.from(text); // code points, as Python counts them
    var gsm = chars.every(function (c) { return basic.has(c) || extension.has(c); });
    var single = gsm ? 160 : 70;
    var part = gsm ? 153 : 67;
    var widths = chars.map(function (c) {
      if (gsm) {
        return extension.has(c) ? 2 : 1;
      }
      return c.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var units = widths.reduce(function (a, b) { return a + b; }, 0);
    var segments, room, used;
    if (units === 0) {
      segments = 0; room = single; used = 0;
    } else if (units <= single) {
      segments = 1; room = single; used = units;
    } else {
      segments = 1; room = part; used = 0;
      widths.forEach(function (width) {
        if (used + width > part) {
          segments += 1;
          used = 0;
        }
        used += width;
      });
    }
    return {
      encoding: gsm ? "GSM-7" : "UCS-2",
      characters: chars.length,
      units: units,
      segments: segments,
      perSegment: room,
      left: room - used
    };
  }

  function show(counter, text) {
    var result = count(text.replace(/\r\n/g, "\n"));
    var set = function (name, value) {
      var node = counter.querySelector('[data-count="' + name + '"]');
      if (node) {
        node.textContent = value;
      }
    };
    set("characters", result.characters + (result.characters === 1 ? " character" : " characters"));
    set("encoding", result.encoding);
    set("segments", result.segments + (result.segments === 1 ? " segment" : " segments"));
    set("per-segment", String(result.perSegment));
    set("left", String(result.left));
    counter.classList.toggle("is-unicode", result.encoding === "UCS-2");
  }

  window.SmsCounter = { count: count };

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-sms-composer")) {
      return;
    }
    var counter = document.querySelector("[data-sms-counter]");
    if (counter) {
      show(counter, field.value);
    }
  });
})();
