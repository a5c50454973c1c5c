// The contract page's Print button (no inline handlers: the CSP forbids them).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-contract");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
