import {useEffect, useRef} from 'react';
import {loadBillflow} from './billflow.js';

// The portal for the signed-in user: mounted when the component is, updated when the user
// changes, unmounted when the router leaves the page.
export default function Portal({me, onEvent}) {
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
        handleResponse: ({event}) => onEvent(event),
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
