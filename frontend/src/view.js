// Rendering. Text only ever reaches the page through textContent, so names, references and
// details typed at a till can never become markup.

/**
 * E.164 as people read it: "+44 7306 506797", "+1 415-555-0123", else "+cc rest".
 * @param {string} e164
 */
export function formatPhone(e164) {
  const uk = /^\+44(\d{4})(\d{6})$/.exec(e164);
  if (uk) return `+44 ${uk[1]} ${uk[2]}`;
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (nanp) return `+1 ${nanp[1]}-${nanp[2]}-${nanp[3]}`;
  const other = /^\+(\d{1,3})(\d+)$/.exec(e164);
  return other ? `+${other[1]} ${other[2]}` : e164;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** @param {string} iso an ISO 8601 time from the API */
export function formatDateTime(iso) {
  return dateTimeFormat.format(new Date(iso));
}

/** @param {Date} date */
export function formatClock(date) {
  return timeFormat.format(date);
}

const OPERATION_NAMES = {
  earn_points: "Earned",
  redeem_points: "Redeemed",
  reverse_redemption: "Redemption reversed",
  adjust_points: "Adjusted",
  open_account: "Account opened",
};

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

const number = new Intl.NumberFormat();

/**
 * Replace the customers table body.
 * @param {HTMLTableElement} table
 * @param {Array<object>} items customers from the API
 * @param {Set<number>} changedIds rows to highlight
 * @param {(customer: object) => void} onOpen called when a row is chosen
 */
export function renderCustomers(table, items, changedIds, onOpen) {
  const rows = items.map((customer) => {
    const tr = document.createElement("tr");
    tr.dataset.customerId = String(customer.customer_id);
    tr.tabIndex = 0;
    tr.setAttribute("aria-label", `Show ledger of ${customer.name || customer.phone}`);
    tr.append(
      cell(customer.name || "—"),
      cell(formatPhone(customer.phone)),
      cell(number.format(customer.points_balance), "num"),
      cell(number.format(customer.total_points_redeemed), "num"),
      cell(number.format(customer.total_points_earned), "num"),
      cell(formatDateTime(customer.updated_at)),
    );
    if (changedIds.has(customer.customer_id)) tr.classList.add("changed");
    tr.addEventListener("click", () => onOpen(customer));
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onOpen(customer);
      }
    });
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("No customers match.");
    td.colSpan = 6;
    tr.append(td);
    rows.push(tr);
  }
  table.tBodies[0].replaceChildren(...rows);
  // Lets people and tests see whether a poll re-rendered anything.
  table.dataset.renderCount = String(Number(table.dataset.renderCount || 0) + 1);
}

/**
 * @param {HTMLElement} element the role="status" element
 * @param {{text: string, kind: string}} status
 */
export function renderStatus(element, status) {
  if (element.textContent !== status.text) element.textContent = status.text;
  element.className = `status ${status.kind}`;
}

/**
 * @param {HTMLElement} element @param {number} page @param {number} perPage @param {number} total
 * @param {HTMLButtonElement} prev @param {HTMLButtonElement} next
 */
export function renderPager(element, page, perPage, total, prev, next) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  element.textContent = `Page ${page} of ${pages} · ${number.format(total)} customers`;
  prev.disabled = page <= 1;
  next.disabled = page >= pages;
}

/**
 * Fill the detail panel with a customer's recent ledger entries.
 * @param {HTMLElement} panel @param {{name: string, phone: string, items: Array<object>, total?: number}} detail
 */
export function renderDetail(panel, detail) {
  panel.querySelector("#detail-title").textContent = detail.name || formatPhone(detail.phone);
  panel.querySelector("#detail-summary").textContent =
    `${formatPhone(detail.phone)} · recent ledger entries`;
  const rows = detail.items.map((entry) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(OPERATION_NAMES[entry.operation_type] || entry.operation_type),
      cell(number.format(entry.points_amount), "num"),
      cell(entry.transaction_reference),
      cell(formatDateTime(entry.created_at)),
    );
    return tr;
  });
  panel.querySelector("tbody").replaceChildren(...rows);
}
