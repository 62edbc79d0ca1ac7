"""SQL for ``customers``, and the customer-with-balance reads built on it."""

from ..db import fetch_all, fetch_one

CARD_COLUMNS = """
    c.id AS customer_id, c.phone, c.name,
    p.points_balance, p.total_points_earned, p.total_points_redeemed, p.updated_at,
    p.has_expiring
"""
CARD_FROM = "customers c JOIN customer_loyalty_points p ON p.customer_id = c.id"


def insert(cur, tenant_id: int, phone: str, name: str | None) -> int:
    cur.execute(
        "INSERT INTO customers (tenant_id, phone, name) VALUES (%s, %s, %s)",
        (tenant_id, phone, name),
    )
    return cur.lastrowid


def find_by_phone(cur, tenant_id: int, phone: str) -> dict | None:
    return fetch_one(
        cur,
        "SELECT id, tenant_id, phone, name FROM customers WHERE tenant_id = %s AND phone = %s",
        (tenant_id, phone),
    )


def get(cur, tenant_id: int, customer_id: int) -> dict | None:
    """The customer, only when it belongs to ``tenant_id``."""
    return fetch_one(
        cur,
        "SELECT id, tenant_id, phone, name FROM customers WHERE tenant_id = %s AND id = %s",
        (tenant_id, customer_id),
    )


def card_by_phone(cur, tenant_id: int, phone: str) -> dict | None:
    return fetch_one(
        cur,
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE c.tenant_id = %s AND c.phone = %s",
        (tenant_id, phone),
    )


def set_name(cur, tenant_id: int, customer_id: int, name: str | None) -> int:
    """Rename the tenant's customer and re-index its search terms; returns rows changed."""
    cur.execute(
        "UPDATE customers SET name = %s WHERE tenant_id = %s AND id = %s",
        (name, tenant_id, customer_id),
    )
    changed = cur.rowcount
    cur.execute("DELETE FROM customer_search_terms WHERE customer_id = %s", (customer_id,))
    index_name(cur, tenant_id, customer_id, name)
    return changed


MAX_TERM_LENGTH = 32


def name_terms(name: str | None) -> list[str]:
    """The searchable words of a name: space-separated, first 32 characters each, distinct
    (as the column's case- and accent-insensitive collation sees them)."""
    seen, terms = set(), []
    for word in (name or "").split():
        term = word[:MAX_TERM_LENGTH]
        if term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return terms


def index_name(cur, tenant_id: int, customer_id: int, name: str | None) -> None:
    terms = name_terms(name)
    if terms:
        cur.executemany(
            "INSERT IGNORE INTO customer_search_terms (tenant_id, term, customer_id) "
            "VALUES (%s, %s, %s)",
            [(tenant_id, term, customer_id) for term in terms],
        )


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# One way to list each kind of search, each served by one index in its order, so that any
# page costs one short index range whatever the tenant's size ("keyset" pagination: a page
# starts after the sort key of the previous page's last row, never at an OFFSET).
LISTINGS = {
    # Everyone, most recently changed first: ix_points_tenant_updated, read from the cursor on
    # (named and joined first: left to itself MariaDB reads the tenant from its newest row and
    # filters, which costs a deep page the whole way down).
    "recent": {
        "from": "customer_loyalty_points p FORCE INDEX (ix_points_tenant_updated) "
        "STRAIGHT_JOIN customers c ON c.id = p.customer_id",
        "count_from": "customer_loyalty_points p",
        "where": "p.tenant_id = %s",
        "key": (("p.updated_at", "DESC"), ("p.id", "DESC")),
    },
    # A phone number's beginning (+44 7306 ...): uq_customers_tenant_phone.
    "phone_prefix": {
        "from": CARD_FROM,
        "count_from": "customers c",
        "where": "c.tenant_id = %s AND c.phone LIKE %s",
        "key": (("c.phone", "ASC"),),
    },
    # A phone number's last digits: ix_customers_tenant_phone_rev.
    "phone_suffix": {
        "from": CARD_FROM,
        "count_from": "customers c",
        "where": "c.tenant_id = %s AND c.phone_rev LIKE %s",
        "key": (("c.phone_rev", "ASC"), ("c.id", "ASC")),
    },
    # A prefix of a word of the name: customer_search_terms' primary key.
    "name": {
        "from": f"customer_search_terms t STRAIGHT_JOIN {CARD_FROM} ON c.id = t.customer_id",
        "count_from": "customer_search_terms t",
        "where": "t.tenant_id = %s AND t.term LIKE %s",
        "key": (("t.term", "ASC"), ("t.customer_id", "ASC")),
    },
}
# A customer whose name has several words matching the pattern ("Ann Annabel", "ann") is
# listed once: at its first matching word.
FIRST_MATCHING_WORD = (
    " AND NOT EXISTS (SELECT 1 FROM customer_search_terms d "
    "WHERE d.customer_id = t.customer_id AND d.term LIKE %s AND d.term < t.term)"
)
OTHER_WORD = (
    " AND EXISTS (SELECT 1 FROM customer_search_terms o "
    "WHERE o.customer_id = t.customer_id AND o.term LIKE %s)"
)


def _filter(kind: str, tenant_id: int, pattern: str | None, other_words: list[str]):
    listing = LISTINGS[kind]
    where, params = listing["where"], [tenant_id] + ([pattern] if pattern is not None else [])
    if kind == "name":
        where += FIRST_MATCHING_WORD
        params.append(pattern)
    for word in other_words:
        where += OTHER_WORD
        params.append(word)
    return listing, where, params


def page(
    cur,
    kind: str,
    tenant_id: int,
    *,
    pattern: str | None = None,
    other_words: list[str] = (),
    after: list | None = None,
    limit: int,
) -> list[dict]:
    """One page of the tenant's customer cards in the ``kind`` listing's order.

    ``pattern`` is the LIKE pattern the listing filters on, ``other_words`` LIKE patterns
    that another word of the name must match too, ``after`` the sort key of the row the page
    starts after (each row carries its own as ``sort_key``).
    """
    listing, where, params = _filter(kind, tenant_id, pattern, list(other_words))
    key = listing["key"]
    if after is not None:
        # (a, b) after (x, y): a beyond x, or a = x and b beyond y. Spelled out, not as a row
        # comparison, so that MariaDB turns it into index ranges.
        ors = []
        for i, (column, direction) in enumerate(key):
            beyond = "<" if direction == "DESC" else ">"
            equal = [f"{c} = %s" for c, _ in key[:i]]
            ors.append("(" + " AND ".join([*equal, f"{column} {beyond} %s"]) + ")")
            params.extend([*after[:i], after[i]])
        where += " AND (" + " OR ".join(ors) + ")"
    order = ", ".join(f"{column} {direction}" for column, direction in key)
    keys = ", ".join(f"{column} AS sort_key_{i}" for i, (column, _) in enumerate(key))
    rows = fetch_all(
        cur,
        f"SELECT {CARD_COLUMNS}, {keys} FROM {listing['from']} WHERE {where} "
        f"ORDER BY {order} LIMIT %s",
        (*params, limit),
    )
    for row in rows:
        row["sort_key"] = [row.pop(f"sort_key_{i}") for i in range(len(key))]
    return rows


def count_up_to(cur, kind: str, tenant_id: int, cap: int, *, pattern=None, other_words=()) -> int:
    """How many customers the listing holds, counting no further than ``cap``: index
    entries only, without the card's join."""
    listing, where, params = _filter(kind, tenant_id, pattern, list(other_words))
    row = fetch_one(
        cur,
        f"SELECT COUNT(*) AS n FROM (SELECT 1 FROM {listing['count_from']} WHERE {where} "
        "LIMIT %s) AS capped",
        (*params, cap),
    )
    return row["n"]


def count_terms_up_to(cur, tenant_id: int, pattern: str, cap: int) -> int:
    """How many name words of the tenant match ``pattern``, counting no further than ``cap``."""
    row = fetch_one(
        cur,
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM customer_search_terms "
        "WHERE tenant_id = %s AND term LIKE %s LIMIT %s) AS capped",
        (tenant_id, pattern, cap),
    )
    return row["n"]


# ---- the customer directory (service/customer_directory.py) --------------------------------


def card(cur, tenant_id: int, customer_id: int) -> dict | None:
    """The customer's card (balance and totals), only when it belongs to ``tenant_id``."""
    return fetch_one(
        cur,
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE c.tenant_id = %s AND c.id = %s",
        (tenant_id, customer_id),
    )


def cards_after(cur, tenant_id: int, after_id: int, limit: int) -> list[dict]:
    """The tenant's next ``limit`` cards with ``id > after_id``, by id.

    Keyset iteration for exports, on an order no write can change (unlike "most recently
    changed first"): each batch is one short range of the tenant's index, so a walk over a
    million customers holds no transaction open and keeps one batch in memory.
    """
    return fetch_all(
        cur,
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE c.tenant_id = %s AND c.id > %s "
        "ORDER BY c.id LIMIT %s",
        (tenant_id, after_id, limit),
    )


def count_for_tenant(cur, tenant_id: int) -> int:
    row = fetch_one(cur, "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = %s", (tenant_id,))
    return row["n"]


def enrolled_phones(cur, tenant_id: int, phones: list[str]) -> set[str]:
    """Which of ``phones`` (E.164) the tenant has enrolled (uq_customers_tenant_phone)."""
    if not phones:
        return set()
    rows = fetch_all(
        cur,
        "SELECT phone FROM customers WHERE tenant_id = %s "
        f"AND phone IN ({', '.join(['%s'] * len(phones))})",
        (tenant_id, *phones),
    )
    return {row["phone"] for row in rows}


def erase(cur, tenant_id: int, customer_id: int, pseudonym: str) -> None:
    """Replace the customer's phone by ``pseudonym``, clear its name and its search terms."""
    cur.execute(
        "UPDATE customers SET phone = %s, name = NULL WHERE tenant_id = %s AND id = %s",
        (pseudonym, tenant_id, customer_id),
    )
    cur.execute("DELETE FROM customer_search_terms WHERE customer_id = %s", (customer_id,))


def insert_many(cur, tenant_id: int, people: list[tuple[str, str | None]]) -> list[int]:
    """Insert the customers (phone, name) in one statement; their ids, in the order given
    (read back by phone: ids of a multi-row insert need not be consecutive on a cluster)."""
    cur.executemany(
        "INSERT INTO customers (tenant_id, phone, name) VALUES (%s, %s, %s)",
        [(tenant_id, phone, name) for phone, name in people],
    )
    rows = fetch_all(
        cur,
        "SELECT id, phone FROM customers WHERE tenant_id = %s "
        f"AND phone IN ({', '.join(['%s'] * len(people))})",
        (tenant_id, *(phone for phone, _ in people)),
    )
    ids = {row["phone"]: row["id"] for row in rows}
    return [ids[phone] for phone, _ in people]


def index_names(cur, tenant_id: int, named: list[tuple[int, str | None]]) -> None:
    """``index_name`` for several customers, in one statement."""
    rows = [(tenant_id, term, cid) for cid, name in named for term in name_terms(name)]
    if rows:
        cur.executemany(
            "INSERT IGNORE INTO customer_search_terms (tenant_id, term, customer_id) "
            "VALUES (%s, %s, %s)",
            rows,
        )
