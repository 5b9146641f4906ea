// When an htmx request fails, say so in the messages area instead of leaving a blank or
// stale region. htmx does not swap error responses by default.
(function () {
  "use strict";

  function showError(text) {
    var region = document.getElementById("messages");
    if (!region) {
      return;
    }
    // A region that polls fails every few seconds while the server is away: say it once.
    var shown = Array.prototype.some.call(region.querySelectorAll(".alert"), function (existing) {
      return existing.textContent === text;
    });
    if (shown) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible fade show";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Dismiss message");
    alert.appendChild(close);
    region.appendChild(alert);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    showError(
      "The server could not complete this request (error " + status + "). " +
        "Reload the page and try again."
    );
  });

  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check your connection and try again.");
  });

  // The region that was to be updated says so too, so a tab panel or a table never
  // looks as if the request had worked.
  function showErrorInTarget(event, text) {
    var target = event.detail.target;
    if (!target || target === document.body) {
      return;
    }
    var previous = target.querySelector(":scope > .htmx-error");
    if (previous) {
      previous.remove();
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger htmx-error";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    target.prepend(alert);
  }

  document.addEventListener("htmx:responseError", function (event) {
    showErrorInTarget(event, "This part of the page could not be loaded. Reload the page and try again.");
  });

  document.addEventListener("htmx:sendError", function (event) {
    showErrorInTarget(event, "This part of the page could not be loaded: the server could not be reached.");
  });

  // A "select all" checkbox (data-select-all="NAME") checks every checkbox named NAME in
  // its form; it shows a mixed state when only some are checked. The form's elements
  // include checkboxes tied to it by their form attribute (rows outside the form).
  function checkboxesNamed(form, name) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "checkbox" && element.name === name;
    });
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.form) {
      return;
    }
    var name = box.getAttribute("data-select-all");
    if (name) {
      checkboxesNamed(box.form, name).forEach(function (row) {
        row.checked = box.checked;
      });
      return;
    }
    var all = Array.prototype.find.call(box.form.elements, function (element) {
      return element.getAttribute("data-select-all") === box.name;
    });
    if (all) {
      var rows = checkboxesNamed(box.form, box.name);
      var checked = Array.prototype.filter.call(rows, function (row) { return row.checked; });
      all.checked = checked.length === rows.length;
      all.indeterminate = checked.length > 0 && checked.length < rows.length;
    }
  });

  // ARIA tabs: the arrow keys, Home and End move between the tabs of a tab list.
  document.addEventListener("keydown", function (event) {
    var tab = event.target;
    if (!tab.matches || !tab.matches('[role="tab"]')) {
      return;
    }
    var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
    var index = tabs.indexOf(tab);
    var next = {
      ArrowRight: tabs[(index + 1) % tabs.length],
      ArrowLeft: tabs[(index - 1 + tabs.length) % tabs.length],
      Home: tabs[0],
      End: tabs[tabs.length - 1],
    }[event.key];
    if (next) {
      event.preventDefault();
      next.focus();
      focusAfterSwap = next.id;
      next.click();
    }
  });

  // The tab list is swapped with the panel; keep the focus on the tab chosen.
  var focusAfterSwap = null;
  document.addEventListener("htmx:afterSettle", function () {
    if (focusAfterSwap && document.getElementById(focusAfterSwap)) {
      document.getElementById(focusAfterSwap).focus();
    }
    focusAfterSwap = null;
  });

  // An action (a POST) swaps the region its button was in, so the focus would fall back
  // to the page itself. Move it to what the action reports: the first element marked
  // data-focus-after-swap (with tabindex="-1") in what was swapped in. A GET (a tab, a
  // page, a poll) leaves the focus alone.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    var swapped = event.target;
    if (!config || config.verb === "get" || !swapped || !swapped.querySelector) {
      return;
    }
    var result = swapped.matches("[data-focus-after-swap]")
      ? swapped
      : swapped.querySelector("[data-focus-after-swap]");
    if (result && result.isConnected) {
      result.focus();
    }
  });
})();
