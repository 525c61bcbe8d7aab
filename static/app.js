// The portal's small behaviours, asked for by data- attributes in the templates: the Content-Security-Policy
// (portal/security_headers.py) allows no inline script, no on...= handler and no htmx feature that needs eval.
(function () {
  "use strict";

  // <form data-confirm="question">: asks before sending.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    // <button data-remove-row>: removes its table row.
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      remove.closest("tr").remove();
      return;
    }
    // <button data-add-row="tbody id" data-template="template id">: appends a copy of the template's row.
    var add = event.target.closest("[data-add-row]");
    if (add) {
      var rows = document.getElementById(add.getAttribute("data-add-row"));
      rows.appendChild(document.getElementById(add.getAttribute("data-template")).content.cloneNode(true));
      return;
    }
    // A tab of a .tabbed bar (infrastructure/_tabbed.html): marked at once, its content follows via htmx.
    var tab = event.target.closest(".tabbed [role=tab]");
    if (tab) {
      tab.parentNode.querySelectorAll("a").forEach(function (a) {
        a.classList.remove("active");
        a.removeAttribute("aria-selected");
      });
      tab.classList.add("active");
      tab.setAttribute("aria-selected", "true");
    }
  });

  // <select data-autosubmit>: a new choice sends its form.
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  // A tab whose content cannot be loaded shows the bar's "not available" note instead.
  document.addEventListener("htmx:responseError", function (event) {
    if (event.target.closest(".tabbed")) {
      document.getElementById("tab-content").innerHTML = document.getElementById("tab-unavailable").innerHTML;
    }
  });

  // <input type=checkbox data-switch hx-post=...>: the switch's new state goes along as enabled=on|off.
  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    if (element.matches("input[data-switch]")) {
      event.detail.parameters.enabled = element.checked ? "on" : "off";
    }
  });
})();
