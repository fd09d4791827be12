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
  // Our words for each Stripe.js error code (hub/templatetags/card_messages.py):
  // Stripe's own sentence is never shown (English on any page, and the test
  // fake's can be a raw JavaScript error).
  var words = {};
  try {
    words = JSON.parse(document.getElementById("card-error-messages").textContent);
  } catch (ignored) {
    words = {};
  }

  function messageFor(error) {
    var codes = [error && error.decline_code, error && error.code];
    for (var i = 0; i < codes.length; i++) {
      if (codes[i] && Object.prototype.hasOwnProperty.call(words, codes[i])) {
        return words[codes[i]];
      }
    }
    if (error && error.type === "card_error" && words.card_declined) {
      return words.card_declined;
    }
    return words["default"] || "";
  }

  function fail(error) {
    errors.textContent = messageFor(error);
    field.classList.add("field--invalid");
    status.textContent = "";
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }

  card.on("change", function (event) {
    if (event && event.error) {
      fail(event.error);
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
        if (!result || result.error || !result.setupIntent) {
          fail(result && result.error);
          return;
        }
        form.elements.setup_intent.value = result.setupIntent.id;
        form.submit();
      })
      .catch(function (error) {
        fail(error); // a network or script failure: the general words
      });
  });
})();
