// The provider's return page (portal/templates/pay/returning.html): its GET only reads; this goes on by POST at once,
// as the driver's button would. No inline script: the CSP.
document.querySelector("form[data-auto-submit]")?.submit();
