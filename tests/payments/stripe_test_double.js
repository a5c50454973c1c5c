// TEST DOUBLE of Stripe.js — never shipped, never used outside tests/e2e/test_payments_journey.py.
// Real Stripe.js cannot be fetched on a closed network, and localstripe's own stand-in has no
// createPaymentMethod. This implements just the calls static/payments/checkout.js makes:
// Stripe(key).elements().create("card").mount(selector), createPaymentMethod and
// handleNextAction. The card becomes a localstripe token (POST /v1/tokens with the publishable
// key, as Stripe.js does); its card id is accepted as a payment method by localstripe.
(function () {
  "use strict";
  var API = "__LOCALSTRIPE_URL__";

  function Card() { this.inputs = {}; }
  Card.prototype.mount = function (selector) {
    var target = document.querySelector(selector);
    var fields = [["number", "4242424242424242"], ["exp_month", "12"], ["exp_year", "2030"], ["cvc", "123"]];
    var self = this;
    fields.forEach(function (pair) {
      var input = document.createElement("input");
      input.name = "stand-in-" + pair[0];
      input.setAttribute("data-stand-in", pair[0]);
      input.setAttribute("aria-label", pair[0]);
      input.value = pair[1];
      target.appendChild(input);
      self.inputs[pair[0]] = input;
    });
  };

  function Stripe(key) {
    return {
      elements: function () { return { create: function () { return new Card(); } }; },
      createPaymentMethod: async function (options) {
        var card = options.card;
        var body = new URLSearchParams({ key: key });
        Object.keys(card.inputs).forEach(function (name) { body.append("card[" + name + "]", card.inputs[name].value); });
        var response = await fetch(API + "/v1/tokens", { method: "POST", body: body });
        var data = await response.json();
        if (!response.ok || data.error) { return { error: data.error || { message: "card error" } }; }
        return { paymentMethod: { id: data.card.id } };
      },
      // 3-D Secure: the buyer "passes" the bank's check through localstripe's private endpoint.
      handleNextAction: async function (options) {
        var secret = options.clientSecret;
        var body = new URLSearchParams({ key: key, client_secret: secret, success: "true" });
        var url = API + "/v1/payment_intents/" + secret.split("_secret_")[0] + "/_authenticate";
        var response = await fetch(url, { method: "POST", body: body });
        var data = await response.json();
        if (!response.ok || data.error) { return { error: data.error || { message: "authentication failed" } }; }
        return { paymentIntent: data };
      }
    };
  }
  window.Stripe = Stripe;
})();
