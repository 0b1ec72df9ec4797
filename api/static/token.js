// The API token, when the server asks for one: every same-origin fetch sends the token kept for this browser
// session; the first answer 401 asks for one (once), keeps it in sessionStorage and tries again.
"use strict";
(() => {
  const KEY = "speedboard-token";
  const plainFetch = window.fetch.bind(window);
  let asking = null;

  const sameOrigin = (input) => new URL(input instanceof Request ? input.url : String(input), location.href).origin === location.origin;

  const withToken = (init, token) => {
    const headers = new Headers((init && init.headers) || {});
    if (token) headers.set("authorization", `Bearer ${token}`);
    return { ...(init || {}), headers };
  };

  const askOnce = () => {
    asking = asking || Promise.resolve().then(() => {
      const token = window.prompt("This Speedboard needs an API token (ask an admin: speedboard token create --name NAME --role read). Token:");
      if (token && token.trim()) sessionStorage.setItem(KEY, token.trim());
      return sessionStorage.getItem(KEY);
    });
    return asking;
  };

  window.fetch = async (input, init) => {
    if (!sameOrigin(input)) return plainFetch(input, init);
    const response = await plainFetch(input, withToken(init, sessionStorage.getItem(KEY)));
    if (response.status !== 401) return response;
    sessionStorage.removeItem(KEY); // absent, unknown or revoked: ask for another
    const token = await askOnce();
    return token ? plainFetch(input, withToken(init, token)) : response;
  };
})();
