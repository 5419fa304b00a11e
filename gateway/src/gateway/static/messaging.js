/* « Messagerie »: a link to a form field (« Répondre » → the reply's text box) puts the
   focus in it. Browsers already do so for a focusable fragment target; this covers those
   that only scroll, and a page opened at such an address. The pages work without it. */
(function () {
  "use strict";
  var FIELDS = /^(TEXTAREA|INPUT|SELECT)$/;

  function field(hash) {
    var target = null;
    if (hash && hash.length > 1) {
      try {
        target = document.getElementById(decodeURIComponent(hash.slice(1)));
      } catch (e) {
        return null; // a malformed address: leave it to the browser
      }
    }
    return target && FIELDS.test(target.tagName) ? target : null;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest('a[href^="#"]') : null;
    var target = link ? field(link.getAttribute("href")) : null;
    if (target) {
      // After the browser's own scrolling, whatever it did with the focus.
      window.setTimeout(function () { target.focus(); }, 0);
    }
  });

  var opened = field(window.location.hash);
  if (opened && document.activeElement !== opened) {
    opened.focus();
  }
})();
