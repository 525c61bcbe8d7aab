// "Print / PDF" buttons (data-print) of printable pages: statements and credit notes.
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
