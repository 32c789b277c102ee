// The parent side of the console's token refresh (SPEC section 4): the iframe
// posts {type: "refreshToken", ticket}; we ask our server, which calls SLS
// RefreshToken, and post {type: "applyAccessToken", accessToken, ticket} back.
(function () {
  "use strict";
  var frame = document.getElementById("sls");
  if (!frame) return;
  var origin = frame.getAttribute("data-origin");   // the console's origin

  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (event.source !== frame.contentWindow || event.origin !== origin) return;
    if (!msg || msg.type !== "refreshToken" || typeof msg.ticket !== "string") return;
    // From location.origin: a page opened as http://user:pass@host/ has a
    // base URL fetch() refuses; the browser still sends its sign-in.
    fetch(location.origin + "/sls/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ticket: msg.ticket }),
      credentials: "same-origin"
    }).then(function (res) {
      if (!res.ok) throw new Error("refresh failed: HTTP " + res.status);
      return res.json();
    }).then(function (answer) {
      frame.contentWindow.postMessage({ type: "applyAccessToken",
        accessToken: answer.accessToken, ticket: msg.ticket }, origin);
    }).catch(function (err) {
      console.error(err);
    });
  });
}());
