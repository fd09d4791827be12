/* Customer Hub: a little progressive enhancement. Every page works without it:
   "Update my info" is a link to /profile/ until this script turns it into a
   button that opens the native <dialog> holding the same form. */
(function () {
  "use strict";

  function openDialog(dialog, opener) {
    if (typeof dialog.showModal !== "function") {
      return false; // an old browser follows the link to /profile/ instead
    }
    dialog.showModal();
    var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      first.focus();
    }
    dialog.addEventListener(
      "close",
      function () {
        if (opener) {
          opener.focus(); // back to where the keyboard user was
        }
      },
      { once: true }
    );
    return true;
  }

  document.querySelectorAll("[data-dialog-open]").forEach(function (opener) {
    var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
    if (!dialog) {
      return;
    }
    opener.setAttribute("aria-haspopup", "dialog");
    opener.addEventListener("click", function (event) {
      if (openDialog(dialog, opener)) {
        event.preventDefault();
      }
    });
  });

  document.querySelectorAll("dialog").forEach(function (dialog) {
    dialog.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      button.addEventListener("click", function () {
        dialog.close();
      });
    });
    // No closing on a backdrop click: a stray click must not throw away
    // what the customer typed. Escape and the buttons close it.
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // A form sent twice by a double click would save twice; mark it busy instead.
  document.querySelectorAll("form.profile-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var submit = form.querySelector("[type=submit]");
      if (submit) {
        submit.setAttribute("aria-busy", "true");
      }
    });
  });
})();
