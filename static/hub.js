/* Customer Hub: a little progressive enhancement. Every page works without it:
   "Update my info" is a link to /profile/ until this script turns it into a
   button that opens the native <dialog> holding the same form. A dialog with
   data-src gets its content from that URL the first time it opens. */
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

  // Fills the dialog from its data-src once; calls done(true) when it holds
  // its content, done(false) when it could not be fetched.
  function loadDialog(dialog, done) {
    var src = dialog.getAttribute("data-src");
    var body = dialog.querySelector("[data-dialog-body]");
    if (!src || !body || dialog.hasAttribute("data-loaded")) {
      done(true);
      return;
    }
    if (typeof window.fetch !== "function") {
      done(false);
      return;
    }
    window
      .fetch(src, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        dialog.setAttribute("data-loaded", "");
        done(true);
      })
      .catch(function () {
        done(false);
      });
  }

  document.querySelectorAll("[data-dialog-open]").forEach(function (opener) {
    var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
    if (!dialog) {
      return;
    }
    opener.setAttribute("aria-haspopup", "dialog");
    opener.addEventListener("click", function (event) {
      if (typeof dialog.showModal !== "function") {
        return; // an old browser follows the link to /profile/ instead
      }
      event.preventDefault();
      opener.setAttribute("aria-busy", "true");
      loadDialog(dialog, function (loaded) {
        opener.removeAttribute("aria-busy");
        if (!loaded || !openDialog(dialog, opener)) {
          window.location.href = opener.href; // the page of its own still works
        }
      });
    });
  });

  document.querySelectorAll("dialog").forEach(function (dialog) {
    // Delegated: the close buttons of a fetched form arrive after this runs.
    dialog.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-dialog-close]")) {
        dialog.close();
      }
    });
    // Cancel (the button, the ×, Escape) discards what was typed: the next
    // opening fetches the form afresh, with the details as they are saved.
    dialog.addEventListener("close", function () {
      var body = dialog.querySelector("[data-dialog-body]");
      if (body && dialog.hasAttribute("data-src")) {
        body.innerHTML = "";
        dialog.removeAttribute("data-loaded");
      }
    });
    // Save without leaving the dialog: a form with errors comes back into it
    // (focus on the first error); a saved one goes to the dashboard, which
    // says so.
    dialog.addEventListener("submit", function (event) {
      var form = event.target;
      var body = dialog.querySelector("[data-dialog-body]");
      if (!body || typeof window.fetch !== "function" || !form.action) {
        return; // the browser posts it the ordinary way
      }
      event.preventDefault();
      var url = form.action + (form.action.indexOf("?") < 0 ? "?" : "&") + "part=dialog";
      window
        .fetch(url, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          // Not followed here: the page it leads to shows "saved" once, and
          // that should be the page the customer sees.
          redirect: "manual",
        })
        .then(function (response) {
          if (response.type === "opaqueredirect") {
            window.location.assign(window.location.pathname);
            return null;
          }
          if (response.status !== 400) {
            throw new Error("status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          body.innerHTML = html;
          var invalid = body.querySelector(
            ".field--invalid input, .field--invalid select, .field--invalid textarea, [role=alert]"
          );
          if (invalid) {
            if (!invalid.matches("input, select, textarea")) {
              invalid.setAttribute("tabindex", "-1");
            }
            invalid.focus();
          }
        })
        .catch(function () {
          form.submit(); // let the page of its own show what happened
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
  // The print view (purchases/print/) works as a plain page without
  // JavaScript; with it, the Print link that led here opens the dialog too.
  if (document.querySelector("[data-print-on-load]")) {
    window.addEventListener("load", function () {
      window.print();
    });
  }

  // A form sent twice by a double click would save twice; mark it busy instead.
  // Delegated, so the dialog's form (fetched later) is covered too.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("profile-form")) {
      var submit = form.querySelector("[type=submit]");
      if (submit) {
        submit.setAttribute("aria-busy", "true");
      }
    }
  });
})();
