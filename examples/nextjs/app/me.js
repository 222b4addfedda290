'use client';
// Who is signed in, asked of the app's own route handler, shared by the pages.
import {useCallback, useEffect, useState} from 'react';

if (typeof window !== 'undefined') window.billflowSampleEvents ??= [];

export function useMe() {
  const [me, setMe] = useState(undefined);  // undefined: asking; null: signed out
  const ask = useCallback(async () => {
    const answer = await fetch('/api/me', {cache: 'no-store'});
    setMe(answer.ok ? await answer.json() : null);
  }, []);
  useEffect(() => {
    ask();
    addEventListener('billflow-sample-signed', ask);
    return () => removeEventListener('billflow-sample-signed', ask);
  }, [ask]);
  return me;
}

// Sign-in and sign-out tell every useMe to ask again.
export const signedChanged = () => dispatchEvent(new Event('billflow-sample-signed'));
