// The hash routes: the table of screens, which one a hash and a session lead to, and the only
// code that reads or changes location.hash. A new screen is one entry in SCREENS (and its
// `show` in controller.js, and its <section id="NAME-screen"> in index.html).

const SLUG = "[a-z0-9][a-z0-9-]*";

/**
 * Every screen: its name, its hash path (":tenant" the shop's slug, "?" when optional), and
 * whether it needs a session (one of that tenant). A hash that matches none shows the sign-in
 * screen; a session on a screen that needs none goes to HOME.
 */
export const SCREENS = [
  { name: "customers", path: "/:tenant/admin/customers", signedIn: true, nav: "Customers" },
  { name: "programme", path: "/:tenant/admin/programme", signedIn: true, nav: "Programme" },
  { name: "report", path: "/:tenant/admin/report", signedIn: true, nav: "Report" },
  { name: "sign-in", path: "/sign-in/:tenant?", signedIn: false },
];
const HOME = "customers";
const SIGN_IN = "sign-in";

const PATTERNS = SCREENS.map((screen) => {
  const source = screen.path
    .replace("/:tenant?", `(?:/(${SLUG}))?`)
    .replace(":tenant", `(${SLUG})`);
  return { screen, regex: new RegExp(`^#${source}/?$`) };
});

/**
 * Parse a location hash such as "#/demo/admin/customers".
 * @param {string} hash @returns {{screen: string, tenant: string}}
 */
export function parseRoute(hash) {
  for (const { screen, regex } of PATTERNS) {
    const match = regex.exec(hash || "");
    if (match) return { screen: screen.name, tenant: match[1] || "" };
  }
  return { screen: SIGN_IN, tenant: "" };
}

/**
 * The hash of screen `name` for `tenant`.
 * @param {string} name @param {string} [tenant] may be "" where the path allows it
 */
export function routeTo(name, tenant = "") {
  const { path } = SCREENS.find((screen) => screen.name === name);
  return `#${path.replace("/:tenant?", tenant ? `/${tenant}` : "").replace(":tenant", tenant)}`;
}

/**
 * The navigation's links for a session of `tenant`: one per screen with a `nav` word.
 * @param {string} tenant @param {string} current the screen on show
 * @returns {Array<{name: string, label: string, href: string, current: boolean}>}
 */
export function navLinks(tenant, current) {
  return SCREENS.filter((screen) => screen.nav).map((screen) => ({
    name: screen.name,
    label: screen.nav,
    href: routeTo(screen.name, tenant),
    current: screen.name === current,
  }));
}

/** Where a session of `tenant` lands. @param {string} tenant */
export function homeRoute(tenant) {
  return routeTo(HOME, tenant);
}

/** @param {string} tenant the tenant to fill in, or "" */
export function signInRoute(tenant) {
  return routeTo(SIGN_IN, tenant);
}

/**
 * What a hash leads to with this session: a screen (and its tenant), another hash, or the
 * end of an expired session.
 * @param {string} hash @param {{tenant: string, expiresAt: string} | null} session
 * @param {number} now epoch ms
 * @returns {{screen: string, tenant: string} | {redirect: string} | {expired: true}}
 */
export function resolveRoute(hash, session, now) {
  const target = parseRoute(hash);
  if (session && Date.parse(session.expiresAt) <= now) return { expired: true };
  const { signedIn } = SCREENS.find((screen) => screen.name === target.screen);
  if (session && signedIn && target.tenant === session.tenant) return target;
  if (session && !signedIn && !target.tenant) return { redirect: homeRoute(session.tenant) };
  return { screen: SIGN_IN, tenant: target.tenant || session?.tenant || "" };
}

/**
 * Follow the browser's hash: `onRoute(hash)` on start and on every change.
 * @param {(hash: string) => void} onRoute
 */
export function createRouter(onRoute) {
  return {
    start() {
      window.addEventListener("hashchange", () => onRoute(location.hash));
      onRoute(location.hash);
    },
    /** Go to `hash`, as a new history entry (routed again when it is the current one). */
    go(hash) {
      if (location.hash === hash) onRoute(hash);
      else location.hash = hash;
    },
    /** Go to `hash` in place of the current entry. */
    redirect(hash) {
      location.replace(hash);
    },
    /** Show `hash` in the address bar in place of the current entry, without routing. */
    record(hash) {
      history.replaceState(null, "", hash);
    },
  };
}
