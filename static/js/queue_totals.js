// The ERP Integrations queue's "Checked" total: the amount due of the checked rows, kept
// up to date as boxes are checked, without asking the server. Each row's checkbox carries
// its amount in data-amount-due ("1234.50"); the sum is kept in cents so it never drifts.
// Without this script the page still shows its own total and every action works.
(function () {
  "use strict";

  var dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

  function cents(text) {
    var amount = Number(text);
    return isFinite(amount) ? Math.round(amount * 100) : 0;
  }

  function update() {
    var total = document.querySelector("[data-checked-total]");
    if (!total) {
      return;
    }
    var checked = document.querySelectorAll("input[type=checkbox][data-amount-due]:checked");
    var sum = 0;
    Array.prototype.forEach.call(checked, function (box) {
      sum += cents(box.getAttribute("data-amount-due"));
    });
    total.querySelector("[data-checked-amount]").textContent = dollars.format(sum / 100);
    total.querySelector("[data-checked-count]").textContent =
      checked.length + (checked.length === 1 ? " invoice" : " invoices");
    total.hidden = false;
  }

  // app.js's "select all" sets the rows' boxes from its own change handler, which runs
  // first (it was registered first), so reading the boxes here sees its work.
  document.addEventListener("change", function (event) {
    if (event.target.type === "checkbox") {
      update();
    }
  });
  // A swapped-in queue (a tab, a filter, an action's result) starts from its own boxes;
  // a page restored by Back may come with boxes the browser checked again.
  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("pageshow", update);
})();
