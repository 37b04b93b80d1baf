// The sheet's Print button (inline handlers are refused by the page's content security policy).
document.querySelector("[data-print]")?.addEventListener("click", () => window.print());
