// The API reference at /docs: Swagger UI, served from our own files, reading the OpenAPI document the page names.
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui");
  if (!box || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({
    url: box.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
}());
