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
  // A revealed value (查看明文) fades back to its masked form after the configured number of seconds.
  document.addEventListener("htmx:load", function (event) {
    var nodes = event.detail.elt.querySelectorAll ? [event.detail.elt].concat(Array.prototype.slice.call(event.detail.elt.querySelectorAll("[data-cv-revert]"))) : [];
    nodes.forEach(function (node) {
      if (!node.hasAttribute || !node.hasAttribute("data-cv-revert")) { return; }
      var seconds = parseInt(node.getAttribute("data-cv-revert"), 10) || 30;
      window.setTimeout(function () {
        node.textContent = node.getAttribute("data-cv-masked") || "";
        node.classList.remove("cv-revealed");
        node.classList.add("cv-masked");
        node.removeAttribute("data-cv-revert");
      }, seconds * 1000);
    });
  });
})();
