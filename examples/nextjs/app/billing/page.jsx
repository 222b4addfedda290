'use client';
import {useMe} from '../me.js';
import Portal from './portal.jsx';

export default function Billing() {
  const me = useMe();
  if (me === undefined) return <p>Loading…</p>;
  if (!me) return <p>Sign in first.</p>;
  return (
    <>
      <h1>Billing</h1>
      <Portal me={me} />
    </>
  );
}
