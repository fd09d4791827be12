/* The card form: Stripe's own Card Element takes the card; we only ever
   receive the SetupIntent's id, which the server checks with Stripe.
   The SetupIntent is asked for (a POST to data-setup-url) when the customer
   presses Save card, never by loading the page: a link scanner's GET leaves
   nothing at Stripe. */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) {
    return;
  }
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

  if (typeof window.Stripe !== "function") {
    // Stripe.js did not load (blocked, or the network): say so; the button
    // stays disabled, as a card cannot be taken without it.
    errors.textContent = words.processing_error || words["default"] || "";
    field.classList.add("field--invalid");
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: false });
  card.mount("#card-element");
  submit.disabled = false;

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

  function refused(message) {
    // The processor will not take a card change from here: the page's
    // "email me a link" way out replaces the form.
    document.getElementById("card-refused-error").textContent = message;
    document.getElementById("card-refused").hidden = false;
    form.hidden = true;
  }

  // One SetupIntent per Save card, made by our server (POST, CSRF token).
  function setupIntent() {
    return window
      .fetch(form.dataset.setupUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "X-CSRFToken": form.elements.csrfmiddlewaretoken.value,
        },
      })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok && body.client_secret) {
            return body.client_secret;
          }
          if (body.refused) {
            refused(body.error || "");
          }
          throw { setup: true, message: body.error, refused: body.refused };
        });
      });
  }

  form.addEventListener("submit", function (event) {
    if (form.elements.setup_intent.value) {
      return; // confirmed at Stripe: let the browser post the id
    }
    event.preventDefault();
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    status.textContent = form.dataset.savingText;
    setupIntent()
      .then(function (clientSecret) {
        return stripe.confirmCardSetup(clientSecret, {
          payment_method: {
            card: card,
            billing_details: { email: form.dataset.email, name: form.dataset.name || undefined },
          },
        });
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
        if (error && error.setup) {
          // Our server's words (already the customer's language), or the
          // general ones when the answer was not ours (a proxy's error page).
          if (!error.refused) {
            fail(null);
            errors.textContent = error.message || errors.textContent;
          }
          return;
        }
        fail(error); // a network or script failure: the general words
      });
  });
})();
