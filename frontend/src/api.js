// The only module that talks to the network. Every request skips the HTTP cache
// (`cache: "no-store"`): freshness comes from our own ETag, sent as If-None-Match.

/** An HTTP error answered by the API with a problem+json body. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {{code?: string, detail?: string, expired?: boolean}} problem the problem body
   */
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** The API could not be reached at all (server down, network gone, CORS refusal). */
export class OfflineError extends Error {}

/**
 * Create an API client.
 * @param {string} baseUrl e.g. "http://127.0.0.1:8000"
 * @param {() => string | null} getToken the current admin session token
 */
export function createApi(baseUrl, getToken) {
  async function request(path, { method = "GET", body, etag } = {}) {
    const headers = { Accept: "application/json" };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (etag) headers["If-None-Match"] = etag;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(baseUrl + path, {
        method,
        headers,
        cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new OfflineError(error.message);
    }
    if (response.status === 304) return { notModified: true, etag };
    if (!response.ok) {
      let problem = {};
      try {
        problem = await response.json();
      } catch {
        // A proxy's HTML error page: keep the status alone.
      }
      if (response.status >= 502 && response.status <= 504 && !problem.code) {
        throw new OfflineError(`HTTP ${response.status}`);
      }
      throw new ApiError(response.status, problem);
    }
    return { notModified: false, etag: response.headers.get("ETag"), data: await response.json() };
  }

  return {
    /**
     * Sign in; resolves to {token, expires_at, tenant, tenant_name}.
     * @param {string} tenant @param {string} email @param {string} password
     */
    async signIn(tenant, email, password) {
      const result = await request("/api/admin/session", {
        method: "POST",
        body: { tenant, email, password },
      });
      return result.data;
    },

    /** Sign out: the API revokes the token (failures ignored: the app forgets it anyway). */
    signOut: () => request("/api/admin/session", { method: "DELETE" }).catch(() => {}),

    /**
     * One page of customers; `{notModified: true}` when `etag` still holds.
     * @param {{q: string, page: number, perPage: number}} query
     * @param {string | null} etag the ETag of the last answer for this same query
     */
    listCustomers(query, etag) {
      const params = new URLSearchParams({
        q: query.q,
        page: String(query.page),
        per_page: String(query.perPage),
      });
      return request(`/api/admin/customers?${params}`, { etag });
    },

    /**
     * Recent ledger entries of one customer; `{notModified: true}` when `etag` still holds.
     * @param {number} customerId @param {string | null} etag
     */
    customerTransactions(customerId, etag) {
      return request(`/api/admin/customers/${encodeURIComponent(customerId)}/transactions?per_page=20`, {
        etag,
      });
    },
  };
}
