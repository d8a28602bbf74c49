// Clausier: progressive enhancements only; every page works without JavaScript.
(function () {
  "use strict";
  // Confirmation before destructive submissions: <form data-confirm="Message ?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Main menu button on small screens (templates/base.html): aria-expanded drives the CSS.
  function setUpMenuButton() {
    var toggle = document.querySelector(".nav-toggle");
    if (!toggle) {
      return;
    }
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }
  // Searchable selects (beneficiaries.forms.add_search): Enter in the search input goes to the select it fills
  // instead of submitting the whole form (without JavaScript, Enter submits and the server runs the search).
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches || !input.matches("input[type=search][aria-controls][hx-get]")) {
      return;
    }
    var select = document.getElementById(input.getAttribute("aria-controls"));
    if (select) {
      event.preventDefault();
      if (window.htmx) {
        window.htmx.trigger(input, "search");
      }
      select.focus();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpMenuButton);
  } else {
    setUpMenuButton();
  }
})();
