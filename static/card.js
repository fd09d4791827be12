/* The card form: Stripe's own Card Element takes the card; we only ever
   receive the SetupIntent's id, which the server checks with Stripe. */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: false });
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var status = document.getElementById("card-status");
  var submit = document.getElementById("card-submit");
  var field = errors.closest(".field");

  function fail(message) {
    errors.textContent = message;
    field.classList.add("field--invalid");
    status.textContent = "";
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }

  card.on("change", function (event) {
    if (event && event.error) {
      fail(event.error.message);
    } else {
      errors.textContent = "";
      field.classList.remove("field--invalid");
    }
  });

  form.addEventListener("submit", function (event) {
    if (form.elements.setup_intent.value) {
      return; // confirmed at Stripe: let the browser post the id
    }
    event.preventDefault();
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    status.textContent = form.dataset.savingText || "Saving your card…";
    stripe
      .confirmCardSetup(form.dataset.clientSecret, {
        payment_method: {
          card: card,
          billing_details: { email: form.dataset.email, name: form.dataset.name || undefined },
        },
      })
      .then(function (result) {
        if (result.error) {
          fail(result.error.message);
          return;
        }
        form.elements.setup_intent.value = result.setupIntent.id;
        form.submit();
      });
  });
})();
