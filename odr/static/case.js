// The case page, better with a script (it works without): a live countdown to each deadline, and the filing
// form showing only the inputs of the chosen kind. Served as a static file: the CSP allows no inline script.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";

  function part(value, unit) {
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: unit, unitDisplay: "long" }).format(value);
    } catch (e) {
      return value + " " + unit;
    }
  }

  function join(parts) {
    try {
      return new Intl.ListFormat(lang, { style: "long", type: "unit" }).format(parts);
    } catch (e) {
      return parts.join(" ");
    }
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-countdown")) - now;
      if (isNaN(left)) return;
      if (left <= 0) {
        el.textContent = el.getAttribute("data-passed");
        el.classList.add("due-soon");
        return;
      }
      var minutes = Math.floor(left / 60000);
      var days = Math.floor(minutes / 1440);
      var hours = Math.floor((minutes % 1440) / 60);
      var parts = [];
      if (days) parts.push(part(days, "day"));
      if (hours || days) parts.push(part(hours, "hour"));
      parts.push(part(minutes % 60, "minute"));
      el.textContent = join(parts);
      el.classList.toggle("due-soon", left < 86400000);
    });
  }

  function showKinds(select) {
    var form = select.form;
    form.querySelectorAll("[data-kinds]").forEach(function (box) {
      // A box holding a refusal's message stays in view, so the message is read.
      var shown = box.getAttribute("data-kinds").split(" ").indexOf(select.value) >= 0 ||
        !!box.querySelector(".field-error");
      box.hidden = !shown;
      box.disabled = !shown; // a hidden input is never sent
    });
  }

  document.querySelectorAll("[data-countdown]").length && (tick(), setInterval(tick, 30000));
  document.querySelectorAll("select#kind").forEach(function (select) {
    showKinds(select);
    select.addEventListener("change", function () { showKinds(select); });
  });
})();
