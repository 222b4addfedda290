/* The Billflow sandbox's stand-in for Stripe.js v3, so card entry works with no internet.
 * It covers the calls Billflow's portal makes, with Stripe.js's shapes: Stripe(), elements(),
 * the card and payment Elements, confirm/retrieve for setup and payment intents,
 * createPaymentMethod, and a test 3D Secure page. It talks to the sandbox that served it
 * (test mode only) and must never be loaded in production. Plain ES2017, no dependencies. */
(() => {
  'use strict';
  if (window.Stripe) return;
  // The API is wherever this file came from; read it now, currentScript is only set while
  // the script first runs.
  const me = document.currentScript || document.querySelector('script[src*="/v3"]');
  const BASE = new URL(me ? me.src : location.href).origin;
  const KIND = {setup_intent: ['seti_', '/v1/setup_intents/', 'setupIntent', 'last_setup_error'],
    payment_intent: ['pi_', '/v1/payment_intents/', 'paymentIntent', 'last_payment_error']};
  const FIELDS = [['number', 'Card number', '1234 1234 1234 1234', 'cc-number'],
    ['expiry', 'Expiration date (MM / YY)', 'MM / YY', 'cc-exp'], ['cvc', 'CVC', 'CVC', 'cc-csc']];
  const MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration month is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    incomplete_cvc: "Your card's security code is incomplete.",
  };
  const STATES = ['StripeElement--empty', 'StripeElement--complete', 'StripeElement--invalid'];
  let ids = 0;

  // A constructed stylesheet, not a <style> element: a page's Content-Security-Policy that
  // allows Stripe.js (script-src, frame-src, connect-src, as Stripe documents it) needs no
  // style-src for it, as Stripe's own card fields, drawn in its frames, need none.
  const style = new CSSStyleSheet();
  style.replaceSync('.sbx{display:flex;flex-wrap:wrap;gap:.5em}' +
    '.sbx label{display:flex;flex-direction:column;flex:1 1 6em;font-size:.8em}' +
    '.sbx label:first-child{flex:3 1 12em}' +
    '.sbx input{font:inherit;font-size:1rem;padding:.4em;border:1px solid #aab;border-radius:4px;min-width:0}' +
    '.sbx input[aria-invalid=true]{border-color:#df1b41;color:#df1b41}' +
    '.sbx-msg{flex-basis:100%;color:#df1b41;font-size:.85em}' +
    '.sbx-3ds{border:0;border-radius:8px;padding:1.5em;max-width:26em;font:16px system-ui,sans-serif}' +
    '.sbx-3ds::backdrop{background:rgba(0,0,0,.5)}.sbx-3ds button{font:inherit;padding:.5em 1.2em}');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, style];

  const integration = (message) => Object.assign(new Error(message), {name: 'IntegrationError'});

  // Stripe's form encoding: nested objects and arrays as `card[number]=...`.
  const encode = (data, prefix, out) => {
    Object.keys(data).forEach((k) => {
      const v = data[k], key = prefix ? `${prefix}[${k}]` : k;
      if (v === null || v === undefined) return;
      if (typeof v === 'object') encode(v, key, out);
      else out.push(`${encodeURIComponent(key)}=${encodeURIComponent(v)}`);
    });
    return out;
  };

  // Resolves {data} or {error}: Stripe.js never rejects for an API or card error.
  const request = async (key, version, method, path, data) => {
    const query = encode(data || {}, '', []).join('&');
    const headers = {Authorization: `Bearer ${key}`};
    if (version) headers['Stripe-Version'] = version;
    if (method === 'POST') headers['Content-Type'] = 'application/x-www-form-urlencoded';
    try {
      const url = BASE + path + (method === 'GET' && query ? `?${query}` : '');
      const res = await fetch(url, {method, headers, body: method === 'POST' ? query : undefined});
      const body = await res.json();
      if (res.ok) return {data: body};
      return {error: body.error || {type: 'api_error', message: `Unexpected status ${res.status}.`}};
    } catch (e) {
      return {error: {type: 'api_connection_error',
        message: 'An error occurred with our connection to Stripe. Request was retried 0 times.'}};
    }
  };

  const idOf = (secret, kind, method) => {
    const id = typeof secret === 'string' ? secret.split('_secret_')[0] : '';
    if (!id.startsWith(KIND[kind][0]) || id === secret) {
      throw integration(`Invalid value for ${method}: clientSecret should be a client secret of ` +
        `the form \${id}_secret_\${secret}. You specified: ${secret}.`);
    }
    return id;
  };

  // -- card data ---------------------------------------------------------------------------
  const brandOf = (n) => (/^4/.test(n) ? 'visa' : /^(5[1-5]|2[2-7])/.test(n) ? 'mastercard'
    : /^3[47]/.test(n) ? 'amex' : /^(6011|65|64[4-9])/.test(n) ? 'discover'
      : /^3(0[0-5]|[689])/.test(n) ? 'diners' : /^35/.test(n) ? 'jcb'
        : /^62/.test(n) ? 'unionpay' : 'unknown');
  const numberLength = (brand) => ({amex: 15, diners: 14}[brand] || 16);
  const cvcLength = (brand) => (brand === 'amex' ? 4 : 3);
  const luhn = (n) => [...n].reverse().reduce((sum, c, i) => {
    const d = i % 2 ? c * 2 : +c;
    return sum + (d > 9 ? d - 9 : d);
  }, 0) % 10 === 0;
  const groups = (n, brand) => {
    const sizes = brand === 'amex' || brand === 'diners' ? [4, 6, 5] : [4, 4, 4, 4];
    const out = [];
    for (let i = 0, g = 0; i < n.length; i += sizes[g++]) out.push(n.slice(i, i + sizes[g]));
    return out.join(' ');
  };

  // [complete, error code]; `strict` also reports a field that is merely incomplete, as
  // Stripe does once a field loses focus or the form is confirmed.
  const check = (field, v, brand, strict) => {
    if (field === 'number') {
      if (v.length < numberLength(brand)) return [false, strict && 'incomplete_number'];
      return luhn(v) ? [true] : [false, 'invalid_number'];
    }
    if (field === 'cvc') return v.length < cvcLength(brand) ? [false, strict && 'incomplete_cvc'] : [true];
    const month = +v.slice(0, 2), now = new Date(), year = 2000 + +v.slice(2);
    if (v.length > 1 && (month < 1 || month > 12)) return [false, 'invalid_expiry_month'];
    if (v.length < 4) return [false, strict && 'incomplete_expiry'];
    if (year < now.getFullYear()) return [false, 'invalid_expiry_year_past'];
    if (year === now.getFullYear() && month <= now.getMonth()) return [false, 'invalid_expiry_month_past'];
    return [true];
  };

  // -- Elements ----------------------------------------------------------------------------
  const makeElement = (group, type, options) => {
    const handlers = {}, blurred = {}, vals = {number: '', expiry: '', cvc: ''};
    let host = null, destroyed = false, lastError = null;
    const root = document.createElement('div');
    root.className = `sbx sbx-${type}`;
    root.setAttribute('role', 'group');
    root.setAttribute('aria-label', 'Card details');
    const msg = document.createElement('div');
    msg.className = 'sbx-msg';
    msg.id = `sbx-msg-${++ids}`;
    msg.setAttribute('role', 'alert');

    const emit = (name, event) => (handlers[name] || []).slice().forEach((h) => {
      try { h(event); } catch (e) { setTimeout(() => { throw e; }); }
    });

    // Recomputes the state, paints it, and emits `change` on an edit or a new error.
    const refresh = (final, edited) => {
      const brand = brandOf(vals.number);
      let complete = true, error;
      FIELDS.forEach(([name], i) => {
        const v = vals[name];
        const [done, code] = check(name, v, brand, final || (blurred[name] && v !== ''));
        complete = complete && done;
        inputs[i].setAttribute('aria-invalid', code ? 'true' : 'false');
        if (code && !error) error = {type: 'validation_error', code, message: MESSAGES[code]};
      });
      const empty = !vals.number && !vals.expiry && !vals.cvc;
      if (host) {
        host.classList.toggle(STATES[0], empty);
        host.classList.toggle(STATES[1], complete);
        host.classList.toggle(STATES[2], !!error);
      }
      msg.textContent = error ? error.message : '';
      const event = {elementType: type, empty, complete, error, brand};
      if (type === 'payment') Object.assign(event, {collapsed: false, value: {type: 'card'}});
      if (edited || (error && error.code) !== lastError) emit('change', event);
      lastError = error && error.code;
      return event;
    };

    const edit = (name, input, i) => {
      const caret = input.selectionStart, atEnd = caret === input.value.length;
      const before = input.value.slice(0, caret).replace(/\D/g, '').length;
      let d = input.value.replace(/\D/g, '');
      const brand = brandOf(name === 'number' ? d : vals.number);
      if (name === 'number') d = d.slice(0, numberLength(brand));
      if (name === 'expiry') d = (d.length === 1 && d > '1' ? `0${d}` : d).slice(0, 4);
      if (name === 'cvc') d = d.slice(0, cvcLength(brand));
      vals[name] = d;
      const shown = name === 'number' ? groups(d, brand)
        : name === 'expiry' && d.length > 2 ? `${d.slice(0, 2)} / ${d.slice(2)}` : d;
      input.value = shown;
      let pos = shown.length;
      if (!atEnd) {
        pos = 0;
        for (let seen = 0; pos < shown.length && seen < before; pos++) if (/\d/.test(shown[pos])) seen++;
      }
      if (document.activeElement === input) input.setSelectionRange(pos, pos);
      delete blurred[name];
      refresh(false, true);
      // Like Stripe's, a field that is complete hands the cursor on to the next.
      if (atEnd && check(name, d, brand, false)[0] && inputs[i + 1]) inputs[i + 1].focus();
    };

    const inputs = FIELDS.map(([name, text, placeholder, autocomplete], i) => {
      const label = document.createElement('label');
      const span = document.createElement('span');
      span.textContent = text;
      // No `name`: card data must never travel with the host page's own form.
      const input = document.createElement('input');
      Object.assign(input, {type: 'text', placeholder, autocomplete, spellcheck: false,
        disabled: !!options.disabled});
      input.setAttribute('inputmode', 'numeric');
      if (type === 'payment') input.setAttribute('aria-describedby', msg.id);
      input.addEventListener('input', () => edit(name, input, i));
      input.addEventListener('blur', () => { blurred[name] = true; refresh(false, false); });
      label.append(span, input);
      root.append(label);
      return input;
    });
    // The payment Element shows its own messages; with the card Element the page does.
    if (type === 'payment') root.append(msg);

    root.addEventListener('focusin', (e) => {
      if (root.contains(e.relatedTarget)) return;
      if (host) host.classList.add('StripeElement--focus');
      emit('focus', {elementType: type});
    });
    root.addEventListener('focusout', (e) => {
      if (root.contains(e.relatedTarget)) return;
      if (host) host.classList.remove('StripeElement--focus');
      emit('blur', {elementType: type});
    });

    const element = {
      mount(target) {
        if (destroyed) throw integration('This Element has already been destroyed. Please create a new one.');
        if (host) throw integration('This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.');
        const node = typeof target === 'string' ? document.querySelector(target) : target;
        if (!node || !node.appendChild) {
          throw integration(`The selector you specified (${target}) applies to no DOM elements ` +
            'that are currently on the page.\nMake sure the element exists on the page before calling mount().');
        }
        host = node;
        host.classList.add('StripeElement');
        host.appendChild(root);
        refresh(false, false);
        setTimeout(() => emit('ready', {elementType: type}));
      },
      unmount() {
        if (!host) return;
        root.remove();
        host.classList.remove('StripeElement', 'StripeElement--focus', ...STATES);
        host = null;
      },
      destroy() {
        element.unmount();
        destroyed = true;
        delete group._elements[type];
      },
      on(name, handler) {
        (handlers[name] = handlers[name] || []).push(handler);
        return element;
      },
      off(name, handler) {
        handlers[name] = (handlers[name] || []).filter((h) => handler && h !== handler);
        return element;
      },
      update(changes) {
        Object.assign(options, changes);
        inputs.forEach((input) => { input.disabled = !!options.disabled; });
      },
      focus() { inputs[0].focus(); },
      blur() { if (root.contains(document.activeElement)) document.activeElement.blur(); },
      clear() {
        inputs.forEach((input) => { input.value = ''; });
        Object.keys(vals).forEach((k) => { vals[k] = ''; delete blurred[k]; });
        refresh(false, true);
      },
      // For confirm and createPaymentMethod: the card, or the validation error Stripe.js gives.
      _card() {
        if (!host) {
          throw integration('We could not retrieve data from the specified Element. Please make ' +
            'sure the Element you are attempting to use is still mounted.');
        }
        const state = refresh(true, false);
        if (state.error) return {error: state.error};
        return {card: {number: vals.number, exp_month: +vals.expiry.slice(0, 2),
          exp_year: 2000 + +vals.expiry.slice(2), cvc: vals.cvc}};
      },
    };
    return element;
  };

  const makeElements = (options) => {
    const group = {
      _elements: {},
      _secret: (options || {}).clientSecret,
      create(type, opts) {
        if (type !== 'card' && type !== 'payment') {
          throw integration(`The sandbox's Stripe.js stand-in has the card and payment Elements only, not ${type}.`);
        }
        if (group._elements[type]) throw integration(`Can only create one Element of type ${type}.`);
        group._elements[type] = makeElement(group, type, Object.assign({}, opts));
        return group._elements[type];
      },
      getElement: (type) => group._elements[type] || null,
      async submit() {
        const card = pick(group)._card();
        return card.error ? {error: card.error} : {};
      },
    };
    return group;
  };

  const pick = (group) => {
    const element = group && (group._elements.payment || group._elements.card);
    if (!element) throw integration('Please pass an Elements group with a mounted card or payment Element.');
    return element;
  };

  // -- 3D Secure ----------------------------------------------------------------------------
  // Stands in for the bank's challenge, as Stripe's test page does in test mode; closing the
  // dialog (Escape) fails authentication, as closing Stripe's does.
  const challenge = () => new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    const title = `sbx-3ds-${++ids}`;
    dialog.className = 'sbx-3ds';
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-labelledby', title);
    dialog.innerHTML = `<form method="dialog"><h2 id="${title}">3D Secure 2 Test Page</h2>` +
      '<p>The Billflow sandbox stands in for the bank here: complete or fail the authentication ' +
      'of this test card.</p><button value="complete">Complete</button> ' +
      '<button value="fail">Fail</button></form>';
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'complete' ? 'complete' : 'fail');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });

  // -- Stripe ------------------------------------------------------------------------------
  window.Stripe = function Stripe(key, options) {
    if (typeof key !== 'string' || !key) {
      throw integration('Please call Stripe() with your publishable key. You used an empty string.');
    }
    if (key.startsWith('sk_')) {
      throw integration('You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.');
    }
    const api = (method, path, data) => request(key, (options || {}).apiVersion, method, path, data);

    const createPaymentMethod = async (element, billingDetails) => {
      if (!element || !element._card) throw integration('Please pass a card or payment Element as `card`.');
      const card = element._card();
      if (card.error) return card;
      const res = await api('POST', '/v1/payment_methods',
        {type: 'card', card: card.card, billing_details: billingDetails});
      return res.error ? {error: res.error} : {paymentMethod: res.data};
    };

    const confirm = async (kind, secret, data, method) => {
      const id = idOf(secret, kind, method), [, path, name, lastError] = KIND[kind];
      const params = {client_secret: secret, setup_future_usage: data.setup_future_usage};
      const pm = data.payment_method;
      if (typeof pm === 'string') params.payment_method = pm;
      else if (pm) {
        const made = await createPaymentMethod(pm.card, pm.billing_details);
        if (made.error) return made;
        params.payment_method = made.paymentMethod.id;
      }
      let res = await api('POST', `${path + id}/confirm`, params);
      if (res.data && res.data.status === 'requires_action') {
        const outcome = await challenge();
        res = await api('POST', `/_sandbox/authenticate/${id}`, {client_secret: secret, outcome});
        // Stripe.js turns a failed authentication into an error carrying the intent.
        if (res.data && res.data.status === 'requires_payment_method') {
          return {error: Object.assign({}, res.data[lastError], {[kind]: res.data})};
        }
      }
      return res.error ? {error: res.error} : {[name]: res.data};
    };

    // confirmSetup and confirmPayment: the Payment Element's flow, redirecting to
    // `return_url` afterwards unless `redirect: 'if_required'` (cards never need one).
    const confirmElements = async (kind, o, method) => {
      const opts = o || {}, params = opts.confirmParams || {};
      const secret = opts.clientSecret || (opts.elements && opts.elements._secret);
      const element = pick(opts.elements);
      if (opts.redirect !== 'if_required' && !params.return_url) {
        throw integration(`${method}: please pass confirmParams.return_url, or redirect: 'if_required'.`);
      }
      const billing = (params.payment_method_data || {}).billing_details;
      const result = await confirm(kind, secret, {payment_method: {card: element, billing_details: billing}}, method);
      const intent = result[KIND[kind][2]];
      if (!intent || opts.redirect === 'if_required') return result;
      const url = new URL(params.return_url, location.href);
      url.searchParams.set(kind, intent.id);
      url.searchParams.set(`${kind}_client_secret`, secret);
      url.searchParams.set('redirect_status', intent.status);
      location.assign(url.href);
      return new Promise(() => {}); // the page is leaving, as with Stripe.js
    };

    const retrieve = async (kind, secret, method) => {
      const res = await api('GET', KIND[kind][1] + idOf(secret, kind, method), {client_secret: secret});
      return res.error ? {error: res.error} : {[KIND[kind][2]]: res.data};
    };

    return {
      elements: makeElements,
      confirmCardSetup: (secret, data) => confirm('setup_intent', secret, data || {}, 'stripe.confirmCardSetup'),
      confirmCardPayment: (secret, data) => confirm('payment_intent', secret, data || {}, 'stripe.confirmCardPayment'),
      confirmSetup: (o) => confirmElements('setup_intent', o, 'stripe.confirmSetup'),
      confirmPayment: (o) => confirmElements('payment_intent', o, 'stripe.confirmPayment'),
      retrieveSetupIntent: (secret) => retrieve('setup_intent', secret, 'stripe.retrieveSetupIntent'),
      retrievePaymentIntent: (secret) => retrieve('payment_intent', secret, 'stripe.retrievePaymentIntent'),
      createPaymentMethod: async (o) => {
        const opts = o || {};
        if (opts.type !== 'card') throw integration('The sandbox stand-in creates card payment methods only.');
        return createPaymentMethod(opts.card || pick(opts.elements), opts.billing_details);
      },
    };
  };
})();
