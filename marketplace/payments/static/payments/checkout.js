// Checkout: Stripe.js tokenises the card in the browser; our server creates and confirms the
// PaymentIntent (with an idempotency key) and answers with where to go next.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof window.Stripe !== "function") { return; }
  var message = document.getElementById("payment-message");
  var button = document.getElementById("pay-button");
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  function show(text) {
    message.textContent = text;
    message.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    message.hidden = true;
    var created = await stripe.createPaymentMethod({ type: "card", card: card });
    if (created.error) { show(created.error.message || form.dataset.msgFailed); return; }
    var response = await fetch(form.dataset.confirmUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ payment_method: created.paymentMethod.id })
    });
    var data = await response.json().catch(function () { return {}; });
    if (data.status === "requires_action" && data.client_secret) {
      var next = await stripe.handleNextAction({ clientSecret: data.client_secret });
      if (next.error) { show(next.error.message || form.dataset.msgFailed); return; }
    }
    if (data.status === "failed" || data.status === "error") {
      show(data.message || form.dataset.msgFailed);
      return;
    }
    window.location.assign(data.redirect || form.dataset.returnUrl);
  });
})();
