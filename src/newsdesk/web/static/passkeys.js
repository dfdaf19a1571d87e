/* newsdesk: passkeys (WebAuthn). On the account page, "Add a passkey"; on the sign-in page, "Sign in
   with a passkey". Both parts are hidden in the page and shown here only when the browser has WebAuthn.
   The server makes the options (its challenge stays server-side) and checks the answers; this script only
   carries them between the server and navigator.credentials, turning base64url text into bytes and back.
   Messages come translated from the page (data-msg-* attributes), shown in an aria-live region. */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    var options = Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      user: Object.assign({}, o.user, { id: toBytes(o.user.id) }),
      excludeCredentials: descriptors(o.excludeCredentials),
    });
    return { publicKey: options };
  }

  function requestOptions(o) {
    var options = Object.assign({}, o, {
      challenge: toBytes(o.challenge),
      allowCredentials: descriptors(o.allowCredentials),
    });
    return { publicKey: options };
  }

  function registrationJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        attestationObject: toText(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
    };
  }

  function authenticationJSON(credential) {
    var r = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        authenticatorData: toText(r.authenticatorData),
        signature: toText(r.signature),
        userHandle: toText(r.userHandle),
      },
    };
  }

  /* POST JSON with the page's form token; the parsed answer, or an Error whose message is a code. */
  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(
        function (data) {
          if (!response.ok) throw new Error((data && data.error) || "failed");
          return data;
        },
        function () { throw new Error("failed"); }
      );
    });
  }

  function say(box, code, isError) {
    var status = box.querySelector(".passkey-status") || document.getElementById("passkey-status");
    status.textContent = box.getAttribute("data-msg-" + code) || box.getAttribute("data-msg-failed");
    status.classList.toggle("form-error", Boolean(isError));
  }

  /* What went wrong, as one of the page's message codes. */
  function codeOf(error) {
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) return "cancelled";
    if (error && error.name === "InvalidStateError") return "duplicate";
    var known = ["expired", "refused", "duplicate", "too_many", "limited", "forbidden"];
    return error && known.indexOf(error.message) >= 0 ? (error.message === "forbidden" ? "failed" : error.message) : "failed";
  }

  function addPasskey(box, button) {
    var token = box.getAttribute("data-csrf");
    var name = document.getElementById("passkey-name");
    button.disabled = true;
    say(box, "working", false);
    post("/account/passkeys/options", token, {})
      .then(function (options) { return navigator.credentials.create(creationOptions(options)); })
      .then(function (credential) {
        return post("/account/passkeys", token, { credential: registrationJSON(credential), name: name.value });
      })
      .then(function () { window.location.reload(); })
      .catch(function (error) {
        button.disabled = false;
        say(box, codeOf(error), true);
      });
  }

  function signIn(box, button) {
    var token = box.getAttribute("data-csrf");
    var nameField = document.getElementById("name");
    var name = nameField ? nameField.value.trim() : "";
    button.disabled = true;
    say(box, "working", false);
    post("/sign-in/passkey/options", token, { name: name })
      .then(function (options) { return navigator.credentials.get(requestOptions(options)); })
      .then(function (credential) {
        return post("/sign-in/passkey", token, {
          credential: authenticationJSON(credential),
          next: box.getAttribute("data-next") || "/",
        });
      })
      .then(function (answer) { window.location.assign(answer.next || "/"); })
      .catch(function (error) {
        button.disabled = false;
        say(box, codeOf(error), true);
      });
  }

  function start() {
    if (!window.PublicKeyCredential || !navigator.credentials || !window.isSecureContext) return;
    var add = document.getElementById("passkey-add");
    if (add) {
      add.hidden = false;
      var unsupported = document.getElementById("passkey-unsupported");
      if (unsupported) unsupported.hidden = true;
      var addButton = document.getElementById("passkey-add-button");
      addButton.addEventListener("click", function () { addPasskey(add, addButton); });
    }
    var signInBox = document.getElementById("passkey-sign-in");
    if (signInBox) {
      signInBox.hidden = false;
      var signInButton = document.getElementById("passkey-sign-in-button");
      signInButton.addEventListener("click", function () { signIn(signInBox, signInButton); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
