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
})();
