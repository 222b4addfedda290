// Types for Billflow's portal script (embed.js), for TypeScript pages that mount it with
// `window.Billflow.mount`. The script is a classic script, not a module: load it with a
// <script src="https://your.site/billflow/embed.js"> tag, and put this file beside your code
// (it is served at /billflow/embed.d.ts) or copy what you need of it.

/** What an action or a load tells the site's `handleResponse`. */
export interface BillflowEvent {
  /** `pre_load`, `post_load`, an action's name, `pre_<action>`, `create_subscription`, `error`… */
  event: string;
  response: unknown;
}

/** The portal's settings, as the snippet and `window.billflowSettings` name them. */
export interface BillflowSettings {
  /** Who is signed in: their email, or `customer_id`, with the `hash` made on your server. */
  email?: string | null;
  customer_id?: string | null;
  hash?: string | null;
  /** Show one subscription only (a narrowing, not a security boundary: see `page`). */
  subscription_id?: string | null;
  /** A page token made on your server, carrying identity, page options and limits. */
  page?: string | null;
  /** The portal API's address; by default the one the script came from. */
  api?: string;
  /** The language to answer in (a BCP 47 tag such as `de` or `pt-BR`), instead of the browser's. */
  language?: string;
  theme?: "light" | "dark";
  debug?: boolean;
  /** A site login the script exchanges for a short session, instead of a hash. */
  auth?: "outseta" | "memberstack" | "clerk";
  token?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Called with each event; a `pre_` handler that throws (or rejects) stops its action. */
  handleResponse?: (event: BillflowEvent) => unknown;
}

/** One mounted portal. */
export interface BillflowHandle {
  /** Show the portal with these settings instead (merged over the ones it had): another
   *  identity or hash after sign-in, another language. */
  update(settings: Partial<BillflowSettings>): BillflowHandle;
  /** Take the portal out of its element: no listener, timer or dialog stays behind. */
  unmount(): void;
  /** Ask the server again for what the portal shows. */
  reload(): Promise<void>;
}

export interface Billflow {
  /** Show a portal in `element`. Null, with a console error saying why, for an element
   *  that already shows one, or an API address the page may not send an identity to. */
  mount(element: Element, settings?: BillflowSettings): BillflowHandle | null;
}

declare global {
  interface Window {
    Billflow: Billflow;
    billflowSettings?: BillflowSettings;
    servicebotSettings?: BillflowSettings;
  }
}
