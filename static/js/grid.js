// Monthly hours grid (templates/hours/grid.html): progressive enhancements only, the grid works without them.
// - Enter and ArrowDown move to the same field of the next row, Shift+Enter and ArrowUp to the previous row
//   (Enter never submits the form from an hours field; on the last row it moves to the save button);
// - "Tout cocher" ticks or clears every validation checkbox, and shows a mixed state when only some are ticked;
// - the links of the error list at the top put the focus on the field at fault.
(function () {
  "use strict";
  var FIELDS = /-(hours|training_hours|invoiced_amount)$/;

  function fieldSuffix(input) {
    var match = input.name && input.name.match(FIELDS);
    return match ? match[1] : null;
  }

  function sameFieldInputs(form, suffix) {
    return Array.prototype.filter.call(form.querySelectorAll("input[type=text]"), function (input) {
      return fieldSuffix(input) === suffix;
    });
  }

  function setUpMoves(form) {
    form.addEventListener("keydown", function (event) {
      var input = event.target;
      var suffix = input.tagName === "INPUT" ? fieldSuffix(input) : null;
      if (!suffix || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      var step;
      if (event.key === "Enter") {
        step = event.shiftKey ? -1 : 1;
      } else if (event.key === "ArrowDown") {
        step = 1;
      } else if (event.key === "ArrowUp") {
        step = -1;
      } else {
        return;
      }
      event.preventDefault();
      var inputs = sameFieldInputs(form, suffix);
      var next = inputs[inputs.indexOf(input) + step];
      if (next) {
        next.focus();
        next.select();
      } else if (step === 1 && event.key === "Enter") {
        // Enter on the last row leads to the save button below the grid (Enter again saves).
        var saves = form.querySelectorAll("button[name=action][value=save]");
        if (saves.length) {
          saves[saves.length - 1].focus();
        }
      }
    });
  }

  function setUpTickAll(form) {
    var all = form.querySelector("[data-review-all]");
    if (!all) {
      return;
    }
    var boxes = form.querySelectorAll("input[type=checkbox][name=review]");
    var control = form.querySelector("[data-review-all-control]");
    var fallback = form.querySelector("[data-review-all-fallback]");
    if (control) {
      control.hidden = false;
    }
    if (fallback) {
      fallback.remove();
    }
    function refresh() {
      var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
      refresh();
    });
    Array.prototype.forEach.call(boxes, function (box) { box.addEventListener("change", refresh); });
    refresh();
  }

  function setUpErrorLinks() {
    document.querySelectorAll("a[data-focus]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("data-focus"));
        if (!target) {
          return;
        }
        event.preventDefault();
        target.focus();
        if (target.select) {
          target.select();
        }
        target.scrollIntoView({ block: "center" });
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "#" + target.id);
        }
      });
    });
  }

  function setUp() {
    var form = document.querySelector("form.hours-grid");
    if (form) {
      setUpMoves(form);
      setUpTickAll(form);
    }
    setUpErrorLinks();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
