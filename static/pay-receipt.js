// The receipt page's "Print / PDF" button (portal/templates/pay/receipt.html): the browser prints the page as an A4
// receipt (static/pay.css @media print); "Save as PDF" in the print dialog gives the PDF. No inline script: the CSP.
document.getElementById("print-receipt")?.addEventListener("click", () => window.print());
