/* Billflow's portal script: one file, no framework, no build step.
 * It finds its container (<div id="billflow-embed"> or [data-billflow]), reads its settings
 * (the snippet's JSON, data attributes, window.billflowSettings or hosted Billflow's
 * window.servicebotSettings), asks the portal's HTTP API, and puts the HTML the server
 * rendered in the page. Every rule is the server's: this script only asks and shows. */
(() => {
  'use strict';

  const me = document.currentScript;
  const HERE = me && me.src ? me.src.replace(/\/embed\.js([?#].*)?$/, '') : '';
  const SHOWN = 6;  // invoices shown before "more" (keep in step with portal.css)
  const SETTINGS = ['email', 'customerId', 'hash', 'subscriptionId', 'api', 'debug', 'page', 'theme'];
  const BY_STATUS = {400: 'error.bad_input', 403: 'error.forbidden', 404: 'error.not_found',
    409: 'error.conflict', 429: 'error.rate_limited'};

  // What the page says when the portal's server cannot be reached before it sent any words:
  // the catalogs' `error.network` and `portal.retry`, in each language they ship
  // (tests/web/test_page_assets.py keeps the two alike).
  const OFFLINE = {
    en: ["We couldn't reach the server. Check your connection and try again.", "Try again"],
    de: ["Der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.", "Erneut versuchen"],
    fr: ["Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.", "Réessayer"],
    es: ["No hemos podido conectar con el servidor. Comprueba tu conexión e inténtalo de nuevo.", "Reintentar"],
    it: ["Impossibile raggiungere il server. Controlla la connessione e riprova.", "Riprova"],
    nl: ["De server is niet bereikbaar. Controleer je verbinding en probeer het opnieuw.", "Opnieuw proberen"],
    "pt-BR": ["Não foi possível acessar o servidor. Verifique sua conexão e tente novamente.", "Tentar novamente"],
    ja: ["サーバーに接続できませんでした。接続を確認して、もう一度お試しください。", "再試行"],
    "zh-Hans": ["无法连接服务器。请检查网络连接后重试。", "重试"],
    ar: ["تعذّر الوصول إلى الخادم. تحقق من اتصالك وحاول مرة أخرى.", "إعادة المحاولة"],
  };
  // In the language the server would have answered in: the browser's, as Accept-Language.
  const offline = () => {
    const asked = [...(navigator.languages || []), navigator.language, 'en'];
    const found = asked.map((l) => String(l)).find((l) => OFFLINE[l] || OFFLINE[l.split('-')[0]]);
    return OFFLINE[found] || OFFLINE[found.split('-')[0]];
  };

  // The sign-in link's token, taken out of the address bar so it is not bookmarked,
  // shared or sent on as a Referer; and its exchange for a session, which a portal mounted
  // again while it is under way (a framework's quick unmount and mount) waits for too.
  const takeToken = () => {
    const url = new URL(location.href);
    const token = url.searchParams.get('billflow_token');
    if (!token) return null;
    url.searchParams.delete('billflow_token');
    try { history.replaceState(history.state, '', url.href); } catch { /* sandboxed */ }
    return token;
  };
  let arrived = null;  // {token, exchange}: the link this page was opened with
  const arrival = () => {
    const token = takeToken();
    if (token) arrived = {token, exchange: null};
    return arrived;
  };

  // Stripe.js and its instances, for every portal in the page (see loadStripe).
  let stripeScript = null;
  const stripes = new Map();

  const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const truthy = (value) => value === true || value === 'true';
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
  // Sign-in tokens and sessions are keys: never in the console, debug or not.
  const hidden = (value) => (value && (value.token || value.session)
    ? Object.assign({}, value, value.token && {token: '…'}, value.session && {session: '…'})
    : value);

  // -- settings: from the page and the site, each trusted as far as its source
  // The site's own settings on window name who is logged in: they belong to the site's one
  // portal (the first #billflow-embed), never to a [data-billflow] someone else put in the page.
  const settingsOf = (root) => {
    const own = {};
    SETTINGS.forEach((k) => { if (root.dataset[k]) own[snake(k)] = root.dataset[k]; });
    const json = root.querySelector('script[data-billflow-settings]');
    try { if (json) Object.assign(own, JSON.parse(json.textContent)); } catch { /* ignored */ }
    if (root !== document.getElementById('billflow-embed')) return own;
    return Object.assign(own, window.servicebotSettings, window.billflowSettings);
  };
  const originOf = (url) => {
    try { return new URL(url, location.href).origin; } catch { return null; }
  };
  // Identity goes to the script's own origin or the page's; another only when the site's own
  // window.billflowSettings names it (markup in the page, which sanitizers let through, can't).
  // Settings given to Billflow.mount are the site's own code too.
  const mayIdentify = (root, api, given) => {
    const origin = originOf(api);
    if (origin && (origin === location.origin || (HERE && origin === originOf(HERE)))) return true;
    if (given && given.api) return originOf(given.api) === origin;
    const site = window.billflowSettings && window.billflowSettings.api;
    return Boolean(site) && root === document.getElementById('billflow-embed') &&
      originOf(site) === origin;
  };

  // -- a mount: one portal, all it remembers in `state`; `given`: Billflow.mount's settings
  const mount = (root, given) => {
    if (root.billflow) return root.billflow;
    const settings = Object.assign(settingsOf(root), given);
    const api = (settings.api || HERE || '/billflow').replace(/\/$/, '');
    // Nor a sign-in link's token, a session or the site's options: such a portal stays empty.
    if (!mayIdentify(root, api, given)) {
      console.warn(`Billflow: not mounted, ${api} is neither this page's nor the script's origin`);
      root.billflow = {refused: api};
      return root.billflow;
    }
    const identity = settings.email || settings.customer_id || '';
    // The site's own login (Outseta, Memberstack, Clerk, or a `token` function of the site's):
    // its token is exchanged for a short session, kept in memory only and asked again when
    // it lapses (the webhook bridge's token exchange).
    const LOGINS = {
      outseta: () => window.Outseta && window.Outseta.getAccessToken(),
      memberstack: () => window.$memberstackDom && window.$memberstackDom.getMemberCookie(),
      clerk: () => window.Clerk && window.Clerk.session && window.Clerk.session.getToken(),
    };
    const loginToken = typeof settings.token === 'function' ? settings.token
      : LOGINS[settings.auth] || null;
    root.innerHTML = '<div class="bf"><div class="bf-body" aria-busy="true"></div>' +
      '<p class="bf-status" role="status" aria-live="polite"></p></div>';
    const frame = root.firstChild, body = frame.firstChild, status = frame.lastChild;
    if (settings.theme === 'light' || settings.theme === 'dark') frame.dataset.theme = settings.theme;

    const state = {
      messages: {}, actions: {}, config: {}, loaded: {}, stripeInfo: {},
      debug: truthy(settings.debug),
      busy: false, keys: new Map(), gone: false,
      signedIn: null, lapsed: false, arrived: null, refused: null, bar: null,  // email sign-in
      stripe: null, card: null, paying: null,
      previewing: 0, timer: null,
    };

    // -- words: the server's, in the customer's language
    const say = (key, fields) => (state.messages[key] || '').replace(/\{(\w+)\}/g,
      (m, name) => (fields && name in fields ? fields[name] : m));
    const log = (...args) => { if (state.debug) console.log('[billflow]', ...args.map(hidden)); };
    // Each action as the server's action table describes it (sent with every page): the
    // fields its form sends, its events, and what to say once it is done.
    const spec = (action) => state.actions[action] ||
      {fields: [], pre_event: `pre_${action}`, event: action, done: null};
    const doneText = (action) => (action === 'payment' ? say('payment.succeeded')
      : say(spec(action).done || ''));

    // -- the API client: who asks and what failed, said one way
    const problem = (code, message, extra) => {
      const http = (extra && extra.status) || 0;
      const own = say(`error.${code}`);
      // A text with fields to fill ("between {min} and {max}") is the caller's to fill.
      const text = (own && !/\{\w+\}/.test(own) && own) || say(BY_STATUS[http] ||
        (http >= 500 ? 'error.stripe_unavailable' : '')) || say('portal.error.generic');
      return Object.assign(new Error(message || code), {code, text: text || message}, extra);
    };

    const headersFor = (payload, key) => {
      const headers = {Accept: 'application/json'};
      if (settings.page) {  // the page's token says who, with which options and limit
        headers['X-Billflow-Page'] = settings.page;
      } else {
        if (identity) headers['X-Billflow-Identity'] = identity;
        if (settings.hash) headers['X-Billflow-Hash'] = settings.hash;
        if (settings.subscription_id) headers['X-Billflow-Subscription'] = settings.subscription_id;
      }
      if (state.signedIn) headers['X-Billflow-Session'] = state.signedIn.session;
      if (settings.language) headers['Accept-Language'] = settings.language;
      if (payload) headers['Content-Type'] = 'application/json';
      if (key) headers['Idempotency-Key'] = key;
      return headers;
    };

    const call = async (method, path, payload, key, again) => {
      // Unmounted: nothing more is asked (no session exchanged, no payment finished).
      if (state.gone) throw problem('unmounted');
      if (loginToken && path !== '/api/token-session') await vouch();
      const headers = headersFor(payload, key);
      log('request', method, api + path, payload || '');
      let res, data = {};
      try {
        res = await fetch(api + path, {method, headers, body: payload && JSON.stringify(payload)});
      } catch (e) {
        throw problem('network', say('error.network') || e.message, {again: true});
      }
      try { data = await res.json(); } catch { /* not JSON: handled below */ }
      log('response', res.status, data);
      if (res.ok) return data;
      const error = data.error || {};
      if (error.code === 'session_expired' && loginToken && !again) {
        state.signedIn = null;  // ended early (a clock apart): a fresh token, once
        return call(method, path, payload, key, true);
      }
      throw problem(error.code || 'generic', error.message || say('portal.error.generic'),
        {field: error.field, status: res.status, again: res.status >= 500 || res.status === 429,
          retry: Number(res.headers.get('Retry-After')) || 0});
    };

    // A session for the site's login, unless the one held is good for another 30 seconds;
    // requests made at once (the portal and its invoices) share one exchange.
    let vouching = null;
    const vouch = () => {
      const held = state.signedIn;
      if (held && held.expires_at * 1000 > Date.now() + 30000) return Promise.resolve();
      if (!vouching) vouching = exchange().finally(() => { vouching = null; });
      return vouching;
    };
    const exchange = async () => {
      state.signedIn = null;
      let token = null;
      try { token = await loginToken(); } catch (e) { log('the site login gave no token', e); }
      if (!token) {
        throw problem('login_required', say('signin.title') || 'Sign in to manage your billing.');
      }
      const made = await call('POST', '/api/token-session', {token});
      state.signedIn = {session: made.session, expires_at: made.expires_at, vouched: true};
    };

    // -- the site's events: a handler may stop a pre_ event, never the portal
    const emit = (event, response) => {
      if (state.gone) return undefined;  // unmounted: the site hears no more of it
      log('event', event, response);
      const handle = settings.handleResponse;
      const on = settings.events !== false && state.config.events !== false;
      if (on && typeof handle === 'function') return handle({event, response});
      return undefined;
    };
    const tell = (event, response) => {
      try {
        Promise.resolve(emit(event, response)).catch((e) => log('handler failed', event, e));
      } catch (e) { log('handler failed', event, e); }
    };

    // -- showing: errors by their cause, the rest on the status line
    // The status line says what happened, then leaves: eight seconds, longer for a long
    // sentence (the page itself shows the new state; this only tells it).
    let statusTimer = 0, saying = 0;
    const announce = (text) => {
      if (state.gone) return;
      clearTimeout(statusTimer);
      clearTimeout(saying);
      status.textContent = '';
      if (!text) return;
      saying = setTimeout(() => { status.textContent = text; }, 30);
      statusTimer = setTimeout(() => { status.textContent = ''; }, Math.max(8000, text.length * 80));
    };
    // Where an error shows: the nearest form or section around the node that has a place
    // for one (a row's own small form has none: its list's place says it).
    const SCOPES = 'form, [data-scope], [data-invoices]';
    const slotFor = (node) => {
      for (let scope = node && node.closest(SCOPES); scope; scope = scope.parentElement.closest(SCOPES)) {
        const slot = scope.querySelector('[data-error]');
        if (slot) return slot;
      }
      return body.querySelector('[data-error]');
    };
    // An error about a bounded field says its bounds ("between 1 and 50"), read from the
    // field the server named.
    const bounded = (node, error) => {
      const form = node && node.closest && node.closest('form');
      const field = form && error.field && form.elements[error.field];
      if (!field || !field.min || !field.max) return '';
      const text = say(`error.${error.code}`, {min: field.min, max: field.max});
      return /\{\w+\}/.test(text) ? '' : text;
    };
    const showError = (node, error, action) => {
      if (error.code === 'session_expired' && !identity && !loginToken) { askEmail(error); return; }
      const slot = slotFor(node);
      const text = bounded(node, error) || error.text || say('portal.error.generic') || error.message;
      if (slot) slot.textContent = text;
      else announce(text);
      tell('error', {action, code: error.code, message: text, status: error.status});
    };
    const clearErrors = (node) => { const slot = slotFor(node); if (slot) slot.textContent = ''; };

    const setBusy = (on) => {
      state.busy = on;
      body.setAttribute('aria-busy', on ? 'true' : 'false');
      body.querySelectorAll('button').forEach((b) => {
        if (on) { b.dataset.wasDisabled = b.disabled ? '1' : ''; b.disabled = true; }
        else if (b.dataset.wasDisabled !== undefined) {
          b.disabled = b.dataset.wasDisabled === '1';
          delete b.dataset.wasDisabled;
        }
      });
    };

    // `invoicesAsked`: the first page of invoices, asked while the portal loaded.
    const show = (data, invoicesAsked) => {
      if (state.gone) return;  // an answer that arrived after unmount()
      if (data.messages) state.messages = data.messages;
      if (data.actions) state.actions = data.actions;
      if (data.currentConfig) state.config = data.currentConfig;
      if (data.stripe) state.stripeInfo = data.stripe;
      state.debug = truthy(settings.debug) || state.config.debug === true;
      if (data.language) frame.lang = data.language;
      if (data.dir) frame.dir = data.dir;
      if (data.billingData) state.loaded.billingData = data.billingData;
      if (state.card) state.card.unmount();
      whoIsIn();
      const opened = [...body.querySelectorAll('details[data-load][open]')].map((d) => d.dataset.load);
      body.innerHTML = data.html;
      opened.forEach((name) => {
        const list = body.querySelector(`details[data-load="${name}"]`);
        if (list) list.open = true;  // its toggle loads it again
      });
      body.setAttribute('aria-busy', 'false');
      const history = body.querySelector('[data-invoices]');
      if (history) invoices(history, false, invoicesAsked);
    };

    // After a re-render, focus goes back where the customer was: their subscription, else
    // the section they acted in (the page does not jump to its top).
    const focusOn = (sub, section) => {
      const target = (sub && body.querySelector(`[data-sub="${sub}"] h3`)) ||
        (section && document.getElementById(section)) || body.querySelector('h2');
      if (target) target.focus({preventScroll: Boolean(section) && !sub});
    };

    // The portal could not load: why, in the customer's language, and a way to try again
    // where trying again can help (the network, or Stripe or the server for a moment).
    const failed = (error) => {
      body.setAttribute('aria-busy', 'false');
      const alert = document.createElement('p');
      alert.className = 'bf-error';
      alert.setAttribute('role', 'alert');
      const words = offline();
      alert.textContent = error.code === 'network' && !state.messages['error.network'] ? words[0]
        : error.text || error.message;
      body.replaceChildren(alert);
      if (error.again) {
        const again = document.createElement('button');
        Object.assign(again, {type: 'button', className: 'bf-button'});
        again.dataset.retry = '';
        again.textContent = say('portal.retry') || words[1];
        body.append(again);
      }
      tell('error', {action: 'load', code: error.code, message: alert.textContent});
    };

    // -- email sign-in, for a page that cannot name its visitor: the session a link's token
    // was exchanged for lives in sessionStorage (this tab only) until it ends.
    const STORE = `billflow.session:${api}`;
    const stored = () => {
      try { return JSON.parse(sessionStorage.getItem(STORE) || 'null'); } catch { return null; }
    };
    const remember = (s) => {
      state.signedIn = {session: s.session, email: s.email, expires_at: s.expires_at};
      try { sessionStorage.setItem(STORE, JSON.stringify(state.signedIn)); } catch { /* private mode */ }
    };
    const forget = () => {
      state.signedIn = null;
      try { sessionStorage.removeItem(STORE); } catch { /* private mode */ }
    };

    // Above the portal of a visitor signed in by email: who they are, and a way out.
    const whoIsIn = () => {
      if (!state.signedIn || state.signedIn.vouched) {  // the site's login shows who is in
        if (state.bar) state.bar.remove();
        state.bar = null;
        return;
      }
      if (!state.bar) {
        state.bar = document.createElement('div');
        state.bar.className = 'bf-signed-in';
        frame.insertBefore(state.bar, body);
      }
      const who = document.createElement('span');
      who.textContent = say('signin.signed_in_as', {email: state.signedIn.email});
      const out = document.createElement('button');
      Object.assign(out, {type: 'button', className: 'bf-button bf-quiet'});
      out.dataset.signOut = '';
      out.textContent = say('signin.sign_out');
      state.bar.replaceChildren(who, out);
    };

    // The email form, with why the visitor is there (a link refused, a session ended).
    // False where the site does not offer email sign-in.
    const askEmail = async (why) => {
      forget();
      try {
        show(await call('GET', '/api/sign-in'));
      } catch (error) {
        if (error.code === 'feature_disabled') return false;
        failed(error);
        return true;
      }
      const slot = body.querySelector('[data-sign-in] [data-error]') || body.querySelector('[data-error]');
      const text = why && (say(`error.${why.code}`) || why.message);
      if (text && slot) slot.textContent = text;
      else if (text) announce(text);
      return true;
    };

    // True once there is a session to load the portal with. A new link replaces the
    // session the tab had; a refused one leaves it, and says why once the portal shows.
    const signIn = async () => {
      const link = state.arrived;
      let why = state.lapsed ? {code: 'session_expired'} : null;
      state.arrived = null;
      state.lapsed = false;
      if (link) {
        try {
          link.exchange = link.exchange || call('POST', '/api/session', {token: link.token});
          const made = await link.exchange;
          if (arrived === link) arrived = null;  // spent: a later mount starts from the session
          remember(made);
          return true;
        } catch (error) {
          if (arrived === link) arrived = null;
          if (state.signedIn) { state.refused = error; return true; }
          why = error;
        }
      }
      return !(await askEmail(why));
    };

    const askLink = async (form) => {
      const field = form.elements.email;
      clearErrors(form);
      setBusy(true);
      try {
        await call('POST', '/api/login-link', {email: field ? field.value.trim() : ''});
        const sent = body.querySelector('[data-sent]');
        const heading = sent && sent.querySelector('h2, h3, [tabindex]');
        if (sent) { form.hidden = true; sent.hidden = false; }
        if (heading) heading.focus();
        else announce(say('signin.sent'));
      } catch (error) {
        if (error.status === 429 && error.retry) {
          const time = new Date(Date.now() + error.retry * 1000)
            .toLocaleTimeString(frame.lang || undefined, {hour: 'numeric', minute: '2-digit'});
          error.text = say('signin.retry_at', {time});
        }
        showError(form, error, 'login_link');
      } finally {
        setBusy(false);
      }
    };

    const askAgain = (button) => {
      const form = body.querySelector('[data-sign-in]');
      const sent = button.closest('[data-sent]');
      if (sent) sent.hidden = true;
      if (form) form.hidden = false;
      if (form && form.elements.email) form.elements.email.focus();
    };

    const signOut = async () => {
      setBusy(true);
      try {
        await call('DELETE', '/api/session');
      } catch (error) {
        if (error.code !== 'session_expired') { setBusy(false); showError(body, error, 'sign_out'); return; }
      }
      setBusy(false);
      await askEmail(null);
      announce(say('signin.signed_out'));
      const heading = body.querySelector('h2');
      if (heading) heading.focus();
    };

    // -- loading: the site hears its settings, less the keys
    const shared = () => {
      const own = Object.assign({}, settings);
      delete own.hash;
      delete own.page;
      delete own.handleResponse;
      delete own.token;
      return own;
    };

    // `again`: the portal changed under the customer (a payment went through): no events.
    const load = async (again) => {
      if (!again) tell('pre_load', shared());
      const byEmail = !identity && !loginToken;
      if (byEmail && (state.arrived || !state.signedIn) && !(await signIn())) return;
      // Both at once: one round trip to Stripe's latency instead of two in a row. Invoices
      // the page ends up not showing (someone not a customer yet) are dropped unread.
      const invoicesAsked = call('GET', '/api/invoices');
      invoicesAsked.catch(() => {});
      try {
        const data = await call('GET', '/api/portal');
        state.loaded = {billingData: data.billingData, productData: data.productData,
          currentConfig: data.currentConfig};
        show(data, invoicesAsked);
        if (state.refused) announce(say(`error.${state.refused.code}`) || state.refused.message);
        state.refused = null;
        if (!again) tell('post_load', state.loaded);
      } catch (error) {
        if (error.code === 'session_expired' && byEmail) await askEmail(error);
        else failed(error);
      }
    };

    const planOf = (price) => (state.loaded.productData || []).find((p) => p.price_id === price);

    // -- invoices: one history, after the portal, which need not wait for them. Its first
    // page is the one asked with the portal; a filter or "more" asks again.
    const invoices = async (section, more, asked) => {
      const rows = section.querySelector('[data-rows]');
      const query = new URLSearchParams();
      if (section.dataset.invoices) query.set('subscription', section.dataset.invoices);
      if (more) query.set('starting_after', section.dataset.last);
      const mine = (section.asking = (section.asking || 0) + 1);
      rows.setAttribute('aria-busy', 'true');
      try {
        const data = await (asked || call('GET', `/api/invoices?${query}`));
        if (mine !== section.asking) return;  // a newer filter is on its way
        if (!more) rows.replaceChildren();
        rows.insertAdjacentHTML('beforeend', data.html);
        if (rows.lastElementChild) section.dataset.last = rows.lastElementChild.dataset.invoice;
        section.dataset.hasMore = data.has_more ? '1' : '';
        section.querySelector('[data-none]').hidden = rows.children.length > 0 || data.has_more;
        folded(section);
      } catch (error) {
        if (mine === section.asking) {
          if (!more) section.querySelector('[data-more]').hidden = true;  // none to show more of
          showError(section, error, 'invoices');
        }
      }
      if (mine === section.asking) rows.setAttribute('aria-busy', 'false');
    };

    const filterInvoices = (select) => {
      const section = select.closest('[data-invoices]');
      section.dataset.invoices = select.value;
      delete section.dataset.open;
      clearErrors(section);
      invoices(section, false);
    };

    // The first few invoices show; "more" shows the rest of the page, then asks for the next.
    const folded = (section) => {
      const unseen = section.dataset.open ? 0 : section.querySelector('[data-rows]').children.length - SHOWN;
      section.querySelector('[data-more]').hidden = !(unseen > 0 || section.dataset.hasMore);
    };
    const more = (button) => {
      const section = button.closest('[data-invoices]');
      if (section.dataset.open) invoices(section, true);
      else { section.dataset.open = '1'; folded(section); }
    };

    // Saved cards and tax IDs: read when their list opens, each time it opens anew.
    const loadList = async (list) => {
      const rows = list.querySelector('[data-rows]');
      rows.setAttribute('aria-busy', 'true');
      try {
        rows.innerHTML = (await call('GET', `/api/${list.dataset.load}`)).html;
      } catch (error) {
        showError(list, error, list.dataset.load);
      }
      rows.setAttribute('aria-busy', 'false');
    };

    // -- actions: the server judges, the script sends and shows
    const payloadOf = (action, origin) => {
      const payload = {};
      const scope = origin.closest('[data-sub]');
      if (scope && spec(action).fields.includes('subscription')) payload.subscription = scope.dataset.sub;
      const form = origin.closest('form');
      spec(action).fields.filter((name) => name !== 'subscription').forEach((name) => {
        const field = form && form.elements[name];
        if (!field || (!field.value && !(form.hasAttribute('data-whole') && field.type))) return;
        const input = field.type ? field : null;
        if (name === 'quantity') payload[name] = Number(field.value);
        else if (name === 'resumes_at' && input) payload[name] = Math.round(input.valueAsNumber / 1000);
        else payload[name] = field.value;
      });
      return payload;
    };

    // One Idempotency-Key per intent: the same action with the same details reuses it until
    // it is answered for good, so a retry after a lost answer changes nothing twice.
    const keyOf = (action, payload) => {
      const id = action + JSON.stringify(payload);
      if (!state.keys.has(id)) state.keys.set(id, uuid());
      return [id, state.keys.get(id)];
    };

    // `quiet`: no pre_ event (an inner step, or one the caller already fired). The success
    // event is the caller's to fire, once any payment the action needs has gone through.
    const act = async (action, payload, origin, quiet) => {
      const [id, key] = keyOf(action, payload);
      clearTimeout(state.timer);
      clearErrors(origin);
      try {
        const pre = quiet ? null : emit(spec(action).pre_event, payload);
        if (pre && pre.then) await pre;
      } catch (e) {
        log('stopped by the site', action, e);
        showError(origin, problem('handler_stopped'), action);
        return null;
      }
      try {
        const data = await call('POST', `/api/actions/${action}`, payload, key);
        state.keys.delete(id);
        return data;
      } catch (error) {
        if (!error.again) state.keys.delete(id);
        showError(origin, error, action);
        return null;
      }
    };

    // After an action: the portal as it now is, focus where the customer was, and the
    // payment still to confirm, if any (the action is done once it is paid).
    const finish = async (action, data, origin) => {
      const dialog = origin.closest('dialog');
      if (dialog && dialog.open) dialog.close();
      const scope = origin.closest('[data-sub]');
      const sub = scope && scope.dataset.sub;
      const section = origin.closest('section[aria-labelledby]');
      show(data);
      focusOn(sub, section && section.getAttribute('aria-labelledby'));
      const confirmation = data.confirmation;
      const made = data.response && data.response.object === 'subscription' && data.response.id;
      const place = body.querySelector(`[data-sub="${made || sub}"] h3`) || body.querySelector('h2');
      if (confirmation && confirmation.kind === 'payment') {
        await pay(confirmation.client_secret, place, action, data.response, data.done);
        return;
      }
      tell(spec(action).event, data.response);
      announce(data.done || doneText(action));
      // A trial with no card: it started; the card it will be charged to is asked next.
      if (confirmation && confirmation.kind === 'setup' && made) await trialCard(confirmation.client_secret, place);
    };

    const run = async (action, origin) => {
      if (state.busy) return;
      setBusy(true);
      const pressed = origin.matches('button') ? origin : origin.querySelector('[type=submit]');
      if (pressed) pressed.dataset.pending = '';
      try {
        if (origin.querySelector && origin.querySelector('[data-card-element]') && action !== 'pay') {
          return await saveCard(origin, action);
        }
        if (action === 'pay') return await payWithCard(origin);
        const data = await act(action, payloadOf(action, origin), origin);
        if (data) await finish(action, data, origin);
      } finally {
        if (pressed) delete pressed.dataset.pending;
        setBusy(false);
      }
      return undefined;
    };

    // -- cards and payments: Stripe.js loads only when a card form opens, once per page;
    // one Stripe instance per key and language, shared by every mount (each instance adds
    // a frame of Stripe's to the page that nothing takes away).
    const loadStripe = async () => {
      if (state.stripe) return state.stripe;
      const {publishable_key: key, js_url: url} = state.stripeInfo;
      if (!key) throw problem('card_unavailable');
      stripeScript = stripeScript || new Promise((resolve, reject) => {
        if (window.Stripe) { resolve(); return; }
        const script = document.createElement('script');
        script.src = url;
        script.onload = resolve;
        script.onerror = () => { stripeScript = null; reject(problem('network')); };
        document.head.append(script);
      });
      await stripeScript;
      const locale = (frame.lang || 'auto').replace('zh-Hans', 'zh');
      const name = `${key} ${locale}`;
      if (!stripes.has(name)) stripes.set(name, window.Stripe(key, {locale}));
      state.stripe = stripes.get(name);
      return state.stripe;
    };

    // Stripe's reason, in the customer's language: the catalog's text for its decline code
    // or its code where there is one, else the message Stripe.js wrote in the `locale` it
    // was given; only an error with neither says "something went wrong".
    const stripeError = (error) => {
      const text = say(`error.${error.decline_code}`) || say(`error.${error.code}`) || error.message;
      return Object.assign(problem(error.code || 'generic', error.message), text ? {text} : {});
    };

    // A payment the customer must confirm: 3-D Secure on the card Stripe holds, or, when
    // that card cannot pay (declined, or none yet), a new card in the payment dialog.
    // The subscription's own dialog names what the payment asks; the portal's is the spare.
    const pay = async (secret, origin, action, response, done) => {
      const scope = origin && origin.closest('[data-sub]');
      try {
        await loadStripe();
        const found = await state.stripe.retrievePaymentIntent(secret);
        if (state.gone) return undefined;  // no 3-D Secure over a page the app moved on to
        if (found.error) throw stripeError(found.error);
        const intent = found.paymentIntent;
        state.paying = {secret, action: action || 'payment', response, done,
          sub: scope && scope.dataset.sub};
        if (intent.status === 'succeeded') return paid();
        if (intent.status === 'requires_payment_method') {
          const dialog = (scope && scope.querySelector('dialog[data-dialog="pay"]')) ||
            body.querySelector(':scope > dialog[data-dialog="pay"]');
          openDialog(dialog, origin);
          return mountCard(dialog);
        }
        announce(say('card.authenticating'));
        const result = await state.stripe.confirmCardPayment(secret);
        if (result.error) { announce(''); throw stripeError(result.error); }
        await paid();
      } catch (error) {
        showError(origin, error, 'payment');
      }
      return undefined;
    };
    const payNow = (button) => {
      if (button.hasAttribute('data-setup')) return trialCard(button.dataset.pay, button);
      setBusy(true);
      return pay(button.dataset.pay, button).finally(() => setBusy(false));
    };

    // The card a trial will be charged to, saved through the setup Stripe made for it.
    const trialCard = (secret, origin) => {
      const scope = origin.closest('[data-sub]');
      const dialog = scope && scope.querySelector('dialog[data-dialog="pay"]');
      if (!dialog) return undefined;
      state.paying = {secret, setup: true, action: 'update_payment_method', sub: scope.dataset.sub};
      openDialog(dialog, origin);
      return mountCard(dialog);
    };

    // Paid: the server makes a card checkout saved the customer's default where they have
    // none, and answers with the portal as it now is (what a reload would have asked for).
    const paid = async () => {
      const {action, response, done, sub, setupIntent} = state.paying;
      state.paying = null;
      await settle(sub, setupIntent);
      if (response) tell(spec(action).event, response);
      announce(done || doneText(action));
    };

    // A trial's card names the setup that saved it: the server makes it the default.
    const settle = async (sub, setupIntent) => {
      if (!sub) { await load(true); return; }
      const asked = setupIntent ? {subscription: sub, setup_intent: setupIntent} : {subscription: sub};
      try {
        show(await call('POST', '/api/actions/finish_payment', asked, uuid()));
      } catch (error) {
        log('finishing the payment failed', error);
        await load(true);
      }
    };

    // -- dialogs: each opens as new
    const openDialog = (dialog, opener) => {
      if (!dialog) return;
      const form = dialog.querySelector('form');
      form.reset();
      form.querySelectorAll('[data-preview-out], [data-error]').forEach((n) => { n.textContent = ''; });
      if (shownStep(form)) stepTo(form, 'reason');
      if (form.hasAttribute('data-preview')) forgetPreview(form);
      switchInterval(form);
      dialog.opener = opener;
      dialog.showModal();
    };

    const open = (name, opener) => {
      const scope = opener.closest('[data-scope]') || body;
      const dialog = scope.querySelector(`dialog[data-dialog="${name}"]`);
      openDialog(dialog, opener);
      if (dialog && dialog.querySelector('[data-card-element]')) mountCard(dialog);
    };

    // The card and payment dialogs: one card field for both.
    const mountCard = async (dialog) => {
      const place = dialog.querySelector('[data-card-element]');
      try {
        if (!state.stripe) place.textContent = say('card.loading');
        await loadStripe();
        if (state.gone) return;  // unmounted while Stripe.js loaded
        place.textContent = '';
        state.card = state.card || state.stripe.elements().create('card');
        state.card.unmount();
        state.card.mount(place);
        state.card.focus();
      } catch (error) {
        place.textContent = '';
        showError(dialog.querySelector('form'), error, 'update_payment_method');
      }
    };

    // The card dialogs: a new default card, or one more saved card.
    const saveCard = async (form, action) => {
      try {
        const pre = emit(spec(action).pre_event, {});
        if (pre && pre.then) await pre;
      } catch {
        showError(form, problem('handler_stopped'), action);
        return;
      }
      if (!state.card) return;  // Stripe.js did not load: the dialog says why
      const setup = await act('setup_payment_method', {}, form, true);
      if (!setup) return;
      const result = await state.stripe.confirmCardSetup(setup.confirmation.client_secret,
        {payment_method: {card: state.card}});
      if (result.error) {
        showError(form, stripeError(result.error), action);
        return;
      }
      const confirmed = {payment_method: result.setupIntent.payment_method};
      if (action === 'update_payment_method') confirmed.setup_intent = result.setupIntent.id;
      const data = await act(action, confirmed, form, true);
      if (data) await finish(action, data, form);
    };

    // The payment dialog.
    const payWithCard = async (form) => {
      const {secret, setup} = state.paying;
      const confirm = setup ? 'confirmCardSetup' : 'confirmCardPayment';
      const result = await state.stripe[confirm](secret, {payment_method: {card: state.card}});
      if (result.error) {
        showError(form, stripeError(result.error), 'payment');
        return;
      }
      if (setup) state.paying.setupIntent = result.setupIntent.id;
      form.closest('dialog').close();
      await paid();
    };

    // The plan dialogs: no hidden plan stays chosen.
    const switchInterval = (form) => {
      const chosen = form.querySelector('[data-switch] input:checked');
      if (!chosen) return;
      form.querySelectorAll('[data-interval]').forEach((label) => {
        label.hidden = label.dataset.interval !== chosen.value;
        const radio = label.querySelector('input');
        if (label.hidden && radio.checked && !radio.disabled) {
          radio.checked = false;
          forgetPreview(form);
        }
      });
    };

    // The plan picker: an add-on asks how many; the button says what today costs.
    const money = (minor, currency) => {
      const format = new Intl.NumberFormat(frame.lang || undefined, {style: 'currency', currency});
      return format.format(minor / 10 ** format.resolvedOptions().maximumFractionDigits);
    };
    const priced = (form) => {
      const button = form.querySelector('[data-subscribe]');
      const chosen = form.querySelector('input[name=price]:checked');
      const box = form.querySelector('[data-quantity]');
      if (!button) return;
      button.dataset.label = button.dataset.label || button.textContent;
      if (box) {
        const field = box.querySelector('input');
        box.hidden = !(chosen && chosen.dataset.unit);
        if (!box.hidden && (field.min !== chosen.dataset.min || field.max !== chosen.dataset.max)) {
          Object.assign(field, {min: chosen.dataset.min, max: chosen.dataset.max, value: chosen.dataset.min});
        }
        if (box.hidden) field.value = '';
      }
      const count = box && !box.hidden ? Number(box.querySelector('input').value) : 1;
      let today = chosen && chosen.dataset.today;
      if (chosen && chosen.dataset.unit && Number.isInteger(count) && count > 0) {
        today = money(Number(chosen.dataset.unit) * count, chosen.dataset.currency.toUpperCase());
      }
      button.textContent = !chosen ? button.dataset.label : chosen.dataset.trial
        ? say('plans.start_trial', {days: chosen.dataset.trial}) : say('plans.subscribe_today', {amount: today});
    };

    // The cancel dialog, in steps: the reason, the offer that reason brings up, the
    // confirmation. Each step shows alone, its first control focused.
    const stepTo = (form, name) => {
      form.querySelectorAll('[data-stage]').forEach((step) => { step.hidden = step.dataset.stage !== name; });
      const first = form.querySelector(`[data-stage="${name}"] input, [data-stage="${name}"] button`);
      if (first) first.focus();
    };
    const shownStep = (form) => {
      const step = form.querySelector('[data-stage]:not([hidden])');
      return step ? step.dataset.stage : null;
    };
    const nextStep = (form) => {
      const reason = form.elements.reason ? form.elements.reason.value : '';
      const offer = form.querySelector('[data-stage="offer"]');
      const offered = offer && offer.dataset.offer.split(' ').includes(reason);
      stepTo(form, shownStep(form) === 'reason' && offered ? 'offer' : 'confirm');
    };

    // The quantity dialog: a step is typed, as by hand.
    const step = (button) => {
      const input = button.parentNode.querySelector('input');
      if (button.dataset.step > 0) input.stepUp(); else input.stepDown();
      input.dispatchEvent(new Event('input', {bubbles: true}));
    };

    // -- previews
    // A preview shows what is chosen now, or nothing: one still on its way for an earlier
    // choice is dropped when it lands.
    const forgetPreview = (form) => {
      clearTimeout(state.timer);
      state.previewing += 1;
      const out = form.querySelector('[data-preview-out]');
      if (out) { out.textContent = ''; out.setAttribute('aria-busy', 'false'); }
    };

    const previewSoon = (form, field, delay) => {
      state.timer = setTimeout(() => preview(form, field), delay);
    };

    // A quantity the field's bounds refuse is said at once, with the bounds; no preview.
    const quantityChanged = (form, field) => {
      forgetPreview(form);
      clearErrors(field);
      const value = Number(field.value);
      if (field.value === '' || !Number.isInteger(value) ||
          value < Number(field.min) || value > Number(field.max)) {
        if (field.value !== '') {
          const code = Number.isInteger(value) ? 'quantity_out_of_bounds' : 'quantity_invalid';
          showError(field, problem(code, '', {field: 'quantity'}), 'preview');
        }
        return;
      }
      if (field.value === field.dataset.initial) return;
      previewSoon(form, field, 250);
    };

    const preview = async (form, field) => {
      const out = form.querySelector('[data-preview-out]');
      const payload = {subscription: form.closest('[data-sub]').dataset.sub};
      const value = field.name === 'quantity' ? Number(field.value) : field.value;
      payload[field.name] = value;
      const mine = ++state.previewing;
      out.setAttribute('aria-busy', 'true');
      out.textContent = say('preview.loading');
      try {
        const data = await call('POST', '/api/preview', payload);
        if (mine === state.previewing) out.innerHTML = data.html;
      } catch (error) {
        if (mine === state.previewing) { out.textContent = ''; showError(form, error, 'preview'); }
      }
      out.setAttribute('aria-busy', 'false');
    };

    // -- events: on the container, so new HTML needs no wiring
    const go = (button) => {
      const menu = button.parentNode.querySelector('select');
      const [kind, name] = menu.value.split(':');
      if (kind === 'open') open(name, button);
      else if (kind === 'run') run(name, button);
    };

    const onClick = (event) => {
      const button = event.target.closest('button');
      if (!button || !root.contains(button)) return;
      if (button.matches('[data-close]')) { button.closest('dialog').close(); return; }
      if (state.busy) { event.preventDefault(); return; }
      const d = button.dataset;
      if (d.retry !== undefined) { body.setAttribute('aria-busy', 'true'); body.replaceChildren(); load(); }
      else if (d.signOut !== undefined) signOut();
      else if (d.signInAgain !== undefined) askAgain(button);
      else if (d.step) step(button);
      else if (d.next !== undefined) nextStep(button.form);
      else if (d.back !== undefined) stepTo(button.form, 'reason');
      else if (d.more !== undefined) more(button);
      else if (d.go !== undefined) go(button);
      else if (d.open) open(d.open, button);
      else if (d.run) run(d.run, button);
      else if (d.pay) payNow(button);
    };

    const onSubmit = (event) => {
      const form = event.target;
      if (form.hasAttribute('data-sign-in')) { event.preventDefault(); if (!state.busy) askLink(form); return; }
      if (!form.dataset.action) return;
      event.preventDefault();
      const shown = shownStep(form);
      if (shown && shown !== 'confirm') { nextStep(form); return; }  // Enter moves on
      run(form.dataset.action, form);
    };

    const onChange = (event) => {
      const field = event.target, form = field.form;
      if (field.matches('[data-filter]')) { filterInvoices(field); return; }
      if (!form) return;
      if (field.name === 'interval') switchInterval(form);
      if (field.name === 'price') tell('select_plan', {price_id: field.value, plan: planOf(field.value)});
      if (field.name === 'price' || field.name === 'interval') priced(form);
      if (form.hasAttribute('data-preview') && field.name === 'price') {
        forgetPreview(form);
        previewSoon(form, field, 0);
      }
    };

    // Each keystroke in a quantity: the preview of the number before it is no longer true.
    const onInput = (event) => {
      const field = event.target, form = field.form;
      if (form && field.name === 'quantity' && form.querySelector('[data-subscribe]')) priced(form);
      if (form && form.hasAttribute('data-preview') && field.name === 'quantity') {
        quantityChanged(form, field);
      }
    };

    const onToggle = (event) => {
      const list = event.target;
      if (list.matches && list.matches('details[data-load]') && list.open) loadList(list);
    };

    const onClose = (event) => {
      const dialog = event.target;
      if (dialog.opener && dialog.opener.isConnected) dialog.opener.focus();
    };

    // -- starting
    state.signedIn = identity || loginToken ? null : stored();
    if (state.signedIn && !(state.signedIn.expires_at * 1000 > Date.now())) {
      forget();
      state.lapsed = true;
    }
    const listeners = [['click', onClick], ['submit', onSubmit], ['change', onChange],
      ['input', onInput], ['close', onClose, true], ['toggle', onToggle, true]];
    listeners.forEach(([type, listener, capture]) => root.addEventListener(type, listener, capture));

    // Gone without a trace: no listener, timer, card field, dialog or bar left behind, and
    // an answer still on its way is dropped.
    const unmount = () => {
      if (root.billflow !== mounted) return;
      state.gone = true;
      listeners.forEach(([type, listener, capture]) => root.removeEventListener(type, listener, capture));
      clearTimeout(statusTimer);
      clearTimeout(saying);
      clearTimeout(state.timer);
      if (state.card) state.card.destroy();
      state.card = null;
      root.querySelectorAll('dialog[open]').forEach((dialog) => dialog.close());
      root.replaceChildren();
      delete root.billflow;
    };
    const mounted = {reload: () => load(), unmount};
    root.billflow = mounted;
    // Before anything else, even the site's first event: the link's token leaves the
    // address bar (and so history, bookmarks and any Referer) as soon as the script runs.
    state.arrived = arrival();
    if (identity) state.arrived = null;  // the site already says who this is
    load();
    return mounted;
  };

  // -- every portal in the page, and their stylesheet
  const stylesheet = () => {
    if (!document.querySelector('link[data-billflow-css]') && HERE) {
      const link = document.createElement('link');
      Object.assign(link, {rel: 'stylesheet', href: `${HERE}/portal.css`});
      link.dataset.billflowCss = '';
      document.head.append(link);
    }
  };
  const start = () => {
    document.querySelectorAll('#billflow-embed, [data-billflow]').forEach((root) => mount(root));
    stylesheet();
  };

  // -- the script's API, for pages that show and hide the portal (single-page apps):
  // Billflow.mount(element, settings) gives a handle to update(settings) (another identity
  // or hash after sign-in, another language) and unmount() it.
  const mountOn = (element, settings) => {
    if (!element || element.nodeType !== 1) {
      console.error('Billflow.mount: the first argument must be the element to show the portal in.');
      return null;
    }
    if (element.billflow) {
      console.error('Billflow.mount: this element already shows a portal. Call unmount() on ' +
        'the handle mount() returned first, or update() it with the new settings.');
      return null;
    }
    stylesheet();
    let given = Object.assign({}, settings);
    let inner = mount(element, given);
    if (inner.refused) { delete element.billflow; return null; }
    const live = () => element.billflow === inner;
    const handle = {
      update: (next) => {
        if (!live()) {
          console.error('Billflow: update() on a portal that was unmounted; mount() it again.');
          return handle;
        }
        given = Object.assign({}, given, next);
        inner.unmount();
        inner = mount(element, given);
        if (inner.refused) delete element.billflow;
        return handle;
      },
      unmount: () => { if (live()) inner.unmount(); },
      reload: () => (live() ? inner.reload() : Promise.resolve()),
    };
    return handle;
  };
  window.Billflow = Object.freeze({mount: mountOn});
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
