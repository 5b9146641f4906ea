// When an htmx request fails, say so in the messages area instead of leaving a blank or
// stale region. htmx does not swap error responses by default.
(function () {
  "use strict";

  function showError(text) {
    var region = document.getElementById("messages");
    if (!region) {
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
})();
