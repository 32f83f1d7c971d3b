// Starts Swagger UI on /docs. A served file, not an inline script, so the page runs under the
// Content-Security-Policy that forbids inline scripts (docs/design.md, "Browser security").
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  validatorUrl: null, // the default badge asks a public validator: nothing leaves this server
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
