// The portal's small behaviours, without inline scripts: the Content-Security-Policy (portal/security_headers.py)
// allows scripts from /static only, no on...= handler and no htmx feature that needs eval. The first part answers
// data- attributes in the templates (confirmations, table rows, tabs, switches); the second part is the menu button
// on small screens, focus on the first invalid field after a form comes back with errors, and keyboard access to
// tables that scroll in their box.
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

  // <element data-poll="ms" hx-trigger="poll">: live fragments (a command's result, a charge point's status) get a
  // "poll" event every ms milliseconds while the page is visible; a hidden tab asks the server nothing. A
  // fragment stops by coming back without data-poll (its result is final). htmx's own "every" cannot do this
  // without eval, which the policy forbids.
  var lastPoll = new WeakMap();
  window.setInterval(function () {
    if (document.hidden || !window.htmx) return;
    var now = Date.now();
    document.querySelectorAll("[data-poll]").forEach(function (element) {
      var every = parseInt(element.getAttribute("data-poll"), 10) || 2000;
      var last = lastPoll.get(element);
      if (last === undefined) {
        lastPoll.set(element, now);
      } else if (now - last >= every) {
        lastPoll.set(element, now);
        window.htmx.trigger(element, "poll");
      }
    });
  }, 200);

  // <input type=checkbox data-switch hx-post=...>: the switch's new state goes along as enabled=on|off.
  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    if (element.matches("input[data-switch]")) {
      event.detail.parameters.enabled = element.checked ? "on" : "off";
    }
  });
})();

(function () {
  "use strict";

  function setupMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var bar = toggle && toggle.closest(".topbar");
    if (!bar) return;
    function show(open) {
      bar.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () { show(!bar.classList.contains("menu-open")); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("menu-open")) {
        show(false);
        toggle.focus();
      }
    });
  }

  // A field marked aria-invalid (or inside a .has-error group; of a group, its first input), else the first
  // error message of the page or of a form (not, say, the cells of an import preview), made focusable for that.
  function firstError(root) {
    var field = root.querySelector(
      '[aria-invalid="true"], .has-error input:not([type="hidden"]), .has-error select, .has-error textarea'
    );
    if (field && field.tagName === "FIELDSET") field = field.querySelector("input, select, textarea") || field;
    if (field && field.tagName !== "FIELDSET") return field;
    var message = root.querySelector('.alert.error, form .error[role="alert"]');
    if (message && !message.hasAttribute("tabindex")) message.setAttribute("tabindex", "-1");
    return message;
  }

  function focusFirstError(root) {
    var target = firstError(root);
    if (target) {
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
    }
  }

  // A table wider than its box scrolls inside it (.table-scroll); while it does, the box takes the keyboard focus,
  // so that the arrow keys can scroll it.
  function scrollersFocusable() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupMenu();
    scrollersFocusable();
    focusFirstError(document.querySelector("main") || document.body);
  });
  window.addEventListener("resize", scrollersFocusable);
  // A form posted with htmx comes back into its target: focus follows the first error there. Polling (GET)
  // swaps never move the focus.
  document.addEventListener("htmx:afterSettle", function (event) {
    scrollersFocusable();
    var config = event.detail && event.detail.requestConfig;
    if (config && config.verb && config.verb.toLowerCase() !== "get" && event.detail.target) {
      focusFirstError(event.detail.target);
    }
  });
})();
