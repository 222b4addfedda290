'use client';
// The portal for the signed-in user: mounted with the component, updated when the user
// changes, unmounted when the router leaves the page.
import {useEffect, useRef} from 'react';

// Billflow's script, loaded once from the portal's server (the address /api/me gives): a
// classic script that sets window.Billflow, not a module to bundle.
let loading = null;
function loadBillflow(base) {
  if (window.Billflow) return Promise.resolve(window.Billflow);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${base}/embed.js`;
    script.onload = () => resolve(window.Billflow);
    script.onerror = () => { loading = null; reject(new Error(`${script.src} did not load`)); };
    document.head.append(script);
  });
  return loading;
}

export default function Portal({me}) {
  const element = useRef(null);
  const handle = useRef(null);
  const latest = useRef(me);  // who is signed in when the script arrives, not at first render
  latest.current = me;

  useEffect(() => {
    let cancelled = false;
    loadBillflow(me.billflow).then((Billflow) => {
      if (cancelled) return;
      handle.current = Billflow.mount(element.current, {
        email: latest.current.email,
        hash: latest.current.hash,
        handleResponse: ({event}) => window.billflowSampleEvents.push(event),
      });
    });
    return () => {
      cancelled = true;
      handle.current?.unmount();
      handle.current = null;
    };
  }, []);  // mounted once: the effect below updates it

  useEffect(() => {
    handle.current?.update({email: me.email, hash: me.hash});
  }, [me.email, me.hash]);

  return <div ref={element} />;
}
