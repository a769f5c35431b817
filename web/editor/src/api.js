// The rules API (data-api on the mount point, e.g. "../api/v1/rules/"): JSON in and out,
// the staff member's bearer token on every request. A request never throws: a network
// failure, or an answer that is not a JSON object, comes back as ok: false with a
// message to show.

export class Api {
  // base: a URL (the API's root, ending in "/"); t: the texts; token(): the current token;
  // onUnauthorized(message): called on 401 and 403.
  constructor({ base, t, token, onUnauthorized }) {
    this.base = base;
    this.t = t;
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  // → { ok, status, data, message }: data is the answer's JSON object (null when there
  // was none), message the server's "message" or one of ours.
  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(new URL(path, this.base), init);
    } catch {
      return { ok: false, status: 0, data: null, message: this.t.networkError };
    }
    let data = null;
    try {
      data = JSON.parse(await response.text());
    } catch {
      data = null;
    }
    const status = response.status;
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      const message = this.t.badAnswer(status);
      if (status === 401 || status === 403) {
        this.onUnauthorized(message);
        return { ok: false, status, data: null, message, unauthorized: true };
      }
      return { ok: false, status, data: null, message };
    }
    const message =
      typeof data.message === "string" && data.message !== ""
        ? data.message
        : response.ok
          ? ""
          : this.t.httpError(status);
    if (status === 401 || status === 403) {
      this.onUnauthorized(message);
      return { ok: false, status, data, message, unauthorized: true };
    }
    return { ok: response.ok, status, data, message };
  }
}
