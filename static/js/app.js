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
  // A table wider than its box scrolls inside <div class="table-wrap">: that box then becomes a keyboard stop
  // (tabindex="0") and a named region, so keyboard users can scroll it (WCAG 2.1.1); it stops being one when the
  // table fits again (no useless tab stop on a wide screen).
  function tableLabel(wrap) {
    var section = wrap.closest("[aria-labelledby]");
    if (section) {
      return { by: section.getAttribute("aria-labelledby") };
    }
    var caption = wrap.querySelector("caption");
    return { text: caption ? caption.textContent.trim() : "Tableau" };
  }
  function updateScrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          var label = tableLabel(wrap);
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("data-scrollable", "");
          if (label.by) {
            wrap.setAttribute("aria-labelledby", label.by);
          } else {
            wrap.setAttribute("aria-label", label.text + " (défile horizontalement)");
          }
        }
      } else if (wrap.hasAttribute("data-scrollable")) {
        ["tabindex", "role", "data-scrollable", "aria-labelledby", "aria-label"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  }
  function setUpScrollableTables() {
    updateScrollableTables();
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(updateScrollableTables);
      document.querySelectorAll(".table-wrap").forEach(function (wrap) {
        observer.observe(wrap);
      });
    } else {
      window.addEventListener("resize", updateScrollableTables);
    }
    document.addEventListener("htmx:afterSettle", updateScrollableTables);
  }
  function setUp() {
    setUpMenuButton();
    setUpScrollableTables();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
