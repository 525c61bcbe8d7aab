// Portal behaviour without inline scripts (the content-security policy allows scripts from /static only):
// the menu button on small screens, focus on the first invalid field after a form comes back with errors, and
// keyboard access to tables that scroll in their box.
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
