// clientvault — small behaviours; no inline scripts (Content-Security-Policy forbids them).
(function () {
  "use strict";
  // Buttons with data-confirm ask before their form is submitted.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = submitter && submitter.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // Follow-up form swapped in by HTMX: keep the follow-ups tab open after a save.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "followups") {
      var tab = document.querySelector('[data-bs-target="#tab-followups"]');
      if (tab && window.bootstrap) { window.bootstrap.Tab.getOrCreateInstance(tab).show(); }
    }
  });
})();
