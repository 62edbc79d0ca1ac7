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

// A request that has not answered by then counts as offline: the page never waits forever.
const REQUEST_TIMEOUT_MS = 10000;
const EXPORT_TIMEOUT_MS = 15 * 60 * 1000; // a big shop's export streams for a while

/** The file name a download's Content-Disposition gives, else `fallback`. */
function filenameOf(response, fallback) {
  const disposition = response.headers.get("Content-Disposition") || "";
  return /filename="([^"]+)"/.exec(disposition)?.[1] || fallback;
}

/** @param {{from: string, to: string, location: string | null}} query */
function reportParams({ from, to, location }) {
  const params = new URLSearchParams({ from, to });
  if (location) params.set("location", location);
  return params;
}

/**
 * Create an API client.
 * @param {string} baseUrl e.g. "http://127.0.0.1:8000"
 * @param {() => string | null} getToken the current admin session token
 */
export function createApi(baseUrl, getToken) {
  /**
   * @param {string} path
   * @param {{method?: string, body?: unknown, file?: {blob: Blob, type: string}, etag?: string,
   *   timeoutMs?: number}} [options] `body` goes as JSON; `file` as itself, with its type
   */
  async function send(path, { method = "GET", body, file, etag, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    const headers = { Accept: "application/json" };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (etag) headers["If-None-Match"] = etag;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (file) headers["Content-Type"] = file.type;
    let payload;
    if (file) payload = file.blob;
    else if (body !== undefined) payload = JSON.stringify(body);
    let response;
    try {
      response = await fetch(baseUrl + path, {
        method,
        headers,
        cache: "no-store",
        body: payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new OfflineError(error.message);
    }
    if (response.status === 304) return response;
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
    return response;
  }

  async function request(path, options = {}) {
    const response = await send(path, options);
    if (response.status === 304) return { notModified: true, etag: options.etag };
    return { notModified: false, etag: response.headers.get("ETag"), data: await response.json() };
  }

  /** POST/PATCH a JSON body; resolves to the answer's JSON. */
  async function write(method, path, body) {
    return (await request(path, { method, body })).data;
  }

  const customerPath = (customerId) => `/api/admin/customers/${encodeURIComponent(customerId)}`;

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
    signOut: () => send("/api/admin/session", { method: "DELETE" }).catch(() => {}),

    /**
     * One page of customers; `{notModified: true}` when `etag` still holds.
     * @param {{q: string, perPage: number, cursor: string | null}} query
     * @param {string | null} etag the ETag of the last answer for this same query
     */
    listCustomers(query, etag) {
      const params = new URLSearchParams({ q: query.q, per_page: String(query.perPage) });
      if (query.cursor) params.set("cursor", query.cursor);
      return request(`/api/admin/customers?${params}`, { etag });
    },

    /**
     * A page of one customer's ledger entries, newest first; `{notModified: true}` when `etag`
     * still holds.
     * @param {number} customerId @param {string | null} etag @param {number} [page]
     * @param {number} [perPage]
     */
    customerTransactions(customerId, etag, page = 1, perPage = 20) {
      const params = new URLSearchParams({ page: String(page), per_page: String(perPage) });
      return request(`${customerPath(customerId)}/transactions?${params}`, { etag });
    },

    /** Enrol a customer; resolves to its card. @param {{phone: string, name: string | null}} customer */
    addCustomer(customer) {
      return write("POST", "/api/admin/customers", customer);
    },

    /** @param {number} customerId @param {string | null} name resolves to the card */
    renameCustomer(customerId, name) {
      return write("PATCH", customerPath(customerId), { name });
    },

    /**
     * Correct a balance. @param {number} customerId
     * @param {{points: number, reason: string, transaction_reference: string}} adjustment
     */
    adjustPoints(customerId, adjustment) {
      return write("POST", `${customerPath(customerId)}/adjustments`, adjustment);
    },

    /**
     * Reverse a ledger entry: refund (part of) a redemption (`points`), or return (part of)
     * the purchase of an earn (`returned_minor`; none: all that is left of it). Resolves to
     * the reversal (`points_reversed`, `points_unrecovered`).
     * @param {number} customerId @param {number} transactionId
     * @param {{points?: number, returned_minor?: number | null, reason: string | null,
     *   transaction_reference: string}} reversal
     */
    reverse(customerId, transactionId, reversal) {
      return write(
        "POST",
        `${customerPath(customerId)}/transactions/${encodeURIComponent(transactionId)}/reversals`,
        reversal,
      );
    },

    /**
     * Everything kept about a customer (a data subject's request), as one JSON file;
     * resolves to {blob, filename}. @param {number} customerId
     */
    async customerData(customerId) {
      const response = await send(`${customerPath(customerId)}/export`);
      return { blob: await response.blob(), filename: filenameOf(response, `customer-${customerId}.json`) };
    },

    /**
     * Erase a customer's personal data (the balance is forfeited); resolves to the erasure
     * (`points_forfeited`, `erased_at`). @param {number} customerId @param {string} reason
     */
    eraseCustomer(customerId, reason) {
      return write("DELETE", customerPath(customerId), { reason });
    },

    /**
     * Send a CSV file of members: `dryRun` checks and counts only (the preview);
     * `skipInvalid` imports the valid rows when some are refused. Resolves to the report.
     * @param {Blob} csv @param {{dryRun: boolean, skipInvalid: boolean}} how
     */
    async importCustomers(csv, { dryRun, skipInvalid }) {
      const params = new URLSearchParams({ dry_run: String(dryRun), skip_invalid: String(skipInvalid) });
      const file = { blob: csv, type: "text/csv" };
      return (await request(`/api/admin/customers/import?${params}`, { method: "POST", file })).data;
    },

    /** The shop's rewards: [{id, name, points, amount_minor}], in the order shown. */
    async getRewards() {
      return (await request("/api/admin/rewards")).data.rewards;
    },

    /** Replace the whole list of rewards; resolves to the list as stored. @param {object[]} rewards */
    async saveRewards(rewards) {
      return (await write("PUT", "/api/admin/rewards", { rewards })).rewards;
    },

    /** Toast REDEEMs whose outcome was lost (newest first), each read now (`committed`). */
    async toastUnknownOutcomes() {
      return (await request("/api/admin/toast/unknown-outcomes")).data.items;
    },

    /**
     * The customer's Toast loyaltyIdentifier, or null (none yet, or no such customer).
     * @param {number} customerId
     */
    async toastIdentifier(customerId) {
      try {
        const path = `/api/admin/toast/customers/${encodeURIComponent(customerId)}/loyalty-identifier`;
        return (await request(path)).data.loyalty_identifier ?? null;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },

    /** The programme in force. */
    async getProgramme() {
      return (await request("/api/admin/programme")).data;
    },

    /** Set the whole programme (a new version); resolves to it. @param {object} programme */
    saveProgramme(programme) {
      return write("PUT", "/api/admin/programme", programme);
    },

    /**
     * What a bill earns under a draft programme, by the server's rule; writes nothing.
     * @param {object} programme the draft, as saveProgramme takes it
     * @param {{total_minor: number, currency: string, excluded_minor: number}} purchase
     */
    calculateDraft(programme, purchase) {
      return write("POST", "/api/admin/programme/calculate", { programme, purchase });
    },

    /** The shop's locations: [{code, name, created_at}]. */
    async listLocations() {
      return (await request("/api/admin/locations")).data.items;
    },

    /**
     * The points report of a period (the shop's days, `to` included), of one location or all.
     * @param {{from: string, to: string, location: string | null}} query
     */
    async pointsReport(query) {
      return (await request(`/api/admin/reports/points?${reportParams(query)}`)).data;
    },

    /** The same report as CSV; resolves to {blob, filename}. @param {object} query as above */
    async pointsReportCsv(query) {
      const response = await send(`/api/admin/reports/points.csv?${reportParams(query)}`);
      const fallback = `points-${query.from}-${query.to}.csv`;
      return { blob: await response.blob(), filename: filenameOf(response, fallback) };
    },

    /**
     * The customer list as filtered, as CSV; resolves to {blob, filename}.
     * @param {string} q the list's search
     */
    async exportCustomers(q) {
      const response = await send(`/api/admin/customers/export.csv?${new URLSearchParams({ q })}`, {
        timeoutMs: EXPORT_TIMEOUT_MS,
      });
      return { blob: await response.blob(), filename: filenameOf(response, "customers.csv") };
    },
  };
}
