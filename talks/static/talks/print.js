// The talk card's "Print the card" button (a script file: the CSP allows no inline handler).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
