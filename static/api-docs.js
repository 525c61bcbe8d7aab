// Starts Swagger UI on /api/docs (portal/api_docs.py): a file of its own, since the page allows no inline script.
(function () {
  "use strict";
  var container = document.getElementById("swagger-container");
  if (!container || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: container.getAttribute("data-schema-url"),
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();
